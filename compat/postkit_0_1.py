# Drives the published postkit 0.1.0 Python client (the reference SDK of the spec, first
# generation) against a database built from our migrations: every call must work unchanged.
import sys, uuid, datetime
sys.path.insert(0, sys.argv[2])
import psycopg
from postkit.authn.client import AuthnClient
conn = psycopg.connect(sys.argv[1], autocommit=True)
a = AuthnClient(conn.cursor(), "compat")
uid = a.create_user("Alice@Example.com", "$argon2id$v=19$x")
assert a.get_user(uid)["email"] == "alice@example.com"
assert a.get_user_by_email("ALICE@example.com")["user_id"] == uid
assert a.list_users(limit=10)[0]["user_id"] == uid
assert a.get_credentials("alice@example.com")["password_hash"] == "$argon2id$v=19$x"
assert a.update_password(uid, "h2") is True
a.set_actor(actor_id="user:admin", request_id="req-1", ip_address="10.0.0.1", user_agent="UA")
sid = a.create_session(uid, "tok", ip_address="192.168.1.1", user_agent="Mozilla/5.0")
v = a.validate_session("tok"); assert v["user_id"] == uid and v["is_impersonating"] is False, v
assert a.extend_session("tok", datetime.timedelta(days=1)) is not None
assert str(a.list_sessions(uid)[0]["ip_address"]) == "192.168.1.1"
tid = a.create_token(uid, "vt", "email_verify")
assert a.verify_email("vt")["user_id"] == uid
a.create_token(uid, "rt", "password_reset")
assert a.invalidate_tokens(uid, "password_reset") == 1
assert a.consume_token("rt", "password_reset") is None
mid = a.add_mfa(uid, "totp", "SECRET", "Phone")
assert a.get_mfa(uid, "totp")[0]["secret"] == "SECRET"
assert a.list_mfa(uid)[0]["name"] == "Phone"
assert a.has_mfa(uid) and a.record_mfa_use(mid) and a.remove_mfa(mid)
for _ in range(5): a.record_login_attempt("alice@example.com", False, "192.168.1.1")
assert a.is_locked_out("alice@example.com") is True
assert len(a.get_recent_attempts("alice@example.com", 3)) == 3
assert a.clear_attempts("alice@example.com") == 5
assert a.update_email(uid, "alice2@example.com") is True
assert a.revoke_session("tok") is True
assert a.revoke_all_sessions(uid) == 0
stats = a.get_stats(); assert stats["user_count"] == 1, stats
assert "sessions_deleted" in a.cleanup_expired()
ev = a.get_audit_events(limit=5, event_type="session_created")
assert ev and ev[0]["actor_id"] == "user:admin" and ev[0]["request_id"] == "req-1", ev
assert a.disable_user(uid) and a.enable_user(uid) and a.delete_user(uid)
try:
    a.create_user("not-an-email"); raise SystemExit("should fail")
except Exception as e:
    assert e.__cause__.sqlstate == "22023", e
print("postkit 0.1.0 SDK: all calls OK against the migrations")
