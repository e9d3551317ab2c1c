-- Minimum release: 12.2 (uses the companion packages)
-- Application secrets and certificates that expire soon, as rows, and a
-- DBMS_SCHEDULER job that mails a warning every morning when one ends
-- within 10 days. Needs Application.Read.All (and Mail.Send for the mail).
exec msgraph.set_default_credential('graph')

select app_name, credential_type, credential_name, end_date_time, days_left, status
  from table(msgraph_m365.expiring_secrets(30))
 order by end_date_time;

-- The job runs in a new session: it loads the credentials file itself
-- (MSGRAPH_CREDENTIALS_FILE) and names the credential.
begin
  dbms_scheduler.create_job(
    job_name        => 'MSGRAPH_SECRETS_WARNING',
    job_type        => 'PLSQL_BLOCK',
    job_action      => q'[declare
                            l_n pls_integer;
                          begin
                            l_n := msgraph_m365.mail_expiring_secrets(
                                     p_from => 'it-alerts@contoso.com',
                                     p_to   => 'identity-team@contoso.com',
                                     p_days => 10,
                                     p_credential => 'graph');
                          end;]',
    start_date      => systimestamp,
    repeat_interval => 'FREQ=DAILY;BYHOUR=7;BYMINUTE=0',
    enabled         => true,
    comments        => 'Mails the application credentials that expire within 10 days');
end;
/

-- Run it once now and look at the outcome:
exec dbms_scheduler.run_job('MSGRAPH_SECRETS_WARNING', use_current_session => true)
select status, error#, additional_info
  from user_scheduler_job_run_details
 where job_name = 'MSGRAPH_SECRETS_WARNING'
 order by log_date desc fetch first 5 rows only;

-- exec dbms_scheduler.drop_job('MSGRAPH_SECRETS_WARNING')
