# Drives the postkit 0.2.0 Python client through the functions it shares with the spec
# (refresh tokens, both impersonations, get_or_create_user, get_users_batch, API keys).
# Later releases changed list_users and added functions the spec does not have.
import sys, datetime
sys.path.insert(0, sys.argv[2])
import psycopg
from postkit.authn.client import AuthnClient
conn = psycopg.connect(sys.argv[1], autocommit=True)
a = AuthnClient(conn.cursor(), "customer")
p = AuthnClient(conn.cursor(), "platform")
admin = a.create_user("admin@acme.com", "h"); target = a.create_user("t@acme.com", "h")
uid, created = a.get_or_create_user("G@acme.com"); assert created
assert a.get_or_create_user("g@acme.com") == (uid, False)
assert set(a.get_users_batch([admin, target])) == {admin, target}
sid = a.create_session(admin, "admintok")
rt = a.create_refresh_token(sid, "r1"); assert rt["family_id"]
r2 = a.rotate_refresh_token("r1", "r2"); assert r2["generation"] == 2
assert a.rotate_refresh_token("r1", "r3") is None
assert a.validate_refresh_token("r2") is None
imp = a.start_impersonation(sid, target, "support ticket", "imptok")
v = a.validate_session("imptok"); assert v["is_impersonating"] and v["impersonator_id"] == admin, v
ctx = a.get_impersonation_context(imp["impersonation_session_id"]); assert ctx["is_impersonating"]
assert len(a.list_active_impersonations()) == 1
assert a.end_impersonation(imp["impersonation_id"]) is True
assert a.list_impersonation_history()[0]["is_active"] is False
op = p.create_user("op@platform.com", "h"); opsid = p.create_session(op, "optok")
oi = p.start_operator_impersonation(opsid, target, "customer", "opimp", "help", ticket_reference="T-1")
assert p.get_operator_impersonation_context(oi["impersonation_session_id"])["is_operator_impersonating"]
assert len(p.list_operator_impersonations_for_target("customer")) == 1
assert len(p.list_operator_impersonations_by_operator(op, "platform")) == 1
assert len(p.list_active_operator_impersonations()) == 1
assert p.end_operator_impersonation(oi["impersonation_id"]) is True
assert len(p.get_operator_audit_events(target_namespace="customer")) == 2
kid = a.create_api_key(admin, "kh", "Production")
assert a.validate_api_key("kh")["name"] == "Production"
print("postkit 0.2.0 SDK: refresh, impersonation, operator, get_or_create, batch OK")
