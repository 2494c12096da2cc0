-- Who did it, in the operator trail too. The core's operator events name the operator of the
-- access (`operator_id`): right for a start, but any operator may end any running access, and
-- the trail then credited the end to whoever had started it, with no request id on any event.
-- The writer of every operator event now adds the acting client's `actor_id` (`user:<uuid>` of
-- whoever ended it, or the impersonated session leaving) and `request_id` to `details`, when
-- the caller set them (`authn.set_actor`). Same signature, owner and grants; the columns and
-- the other details keys are unchanged, so programs reading the trail see only two more keys.
CREATE OR REPLACE FUNCTION authn._log_operator_audit_event(
    p_event_type text, p_operator_namespace text, p_operator_id uuid, p_operator_email text,
    p_target_namespace text, p_target_user_id uuid, p_target_user_email text, p_reason text,
    p_ticket_reference text DEFAULT NULL, p_impersonation_session_id uuid DEFAULT NULL,
    p_operator_original_session_id uuid DEFAULT NULL, p_details jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO authn.operator_audit_events (
        event_type, operator_namespace, operator_id, operator_email, target_namespace,
        target_user_id, target_user_email, impersonation_session_id,
        operator_original_session_id, reason, ticket_reference, ip_address, user_agent, details)
    VALUES (
        p_event_type, p_operator_namespace, p_operator_id, p_operator_email, p_target_namespace,
        p_target_user_id, p_target_user_email, p_impersonation_session_id,
        p_operator_original_session_id, p_reason, p_ticket_reference,
        nullif(current_setting('authn.ip_address', true), '')::inet,
        nullif(current_setting('authn.user_agent', true), ''),
        coalesce(p_details, '{}'::jsonb) || jsonb_strip_nulls(jsonb_build_object(
            'actor_id', nullif(current_setting('authn.actor_id', true), ''),
            'request_id', nullif(current_setting('authn.request_id', true), ''))));
END
$$;
