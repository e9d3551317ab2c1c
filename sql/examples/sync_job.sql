-- Minimum release: 18 (MSGRAPH_SYNC)
-- MSGRAPH_SYNC: register mailboxes, run once by hand, then every five
-- minutes from DBMS_SCHEDULER. Overlapping runs are harmless: a chunk
-- another session is syncing is skipped (logged SKIPPED). See sql/SYNC.md.
begin
  msgraph_sync.add_mailbox('zoe.mueller@contoso.com');
  msgraph_sync.add_mailbox('jose.nunez@contoso.com', 'events,tasks');
end;
/

-- The first run is a full one; later runs fetch only changes.
set serveroutput on
declare
  l_failed pls_integer;
begin
  msgraph.load_credentials;
  l_failed := msgraph_sync.run('graph');
  dbms_output.put_line('failed collections: ' || l_failed);
end;
/

select mailbox, kind, collection_id, last_status, rounds_done, resyncs, last_finished, last_error
  from msgraph_sync_state order by mailbox, kind;
select * from msgraph_sync_run_summary order by run_id desc fetch first 10 rows only;
select * from msgraph_sync_log order by log_id desc fetch first 20 rows only;
select mailbox, subject, start_time, location from msgraph_sync_event order by start_time;

begin
  dbms_scheduler.create_job(
    job_name        => 'MSGRAPH_SYNC_JOB',
    job_type        => 'PLSQL_BLOCK',
    -- Thousands of mailboxes: msgraph_sync.run_parallel('graph', 8) syncs
    -- the chunks in 8 job sessions (DBMS_PARALLEL_EXECUTE, CREATE JOB).
    job_action      => q'[begin msgraph_sync.run(p_credential => 'graph'); end;]',
    start_date      => systimestamp,
    repeat_interval => 'FREQ=MINUTELY;INTERVAL=5',
    enabled         => true,
    comments        => 'Delta sync of events, contacts and To Do tasks (MSGRAPH_SYNC)');
end;
/

-- Watch it: V$SESSION shows MODULE 'MSGRAPH_SYNC' and the chunk in ACTION.
select sid, module, action from v$session where module = 'MSGRAPH_SYNC';

-- Force a full round for one mailbox (e.g. after restoring the tables):
-- exec msgraph_sync.reset('zoe.mueller@contoso.com')
-- exec dbms_scheduler.drop_job('MSGRAPH_SYNC_JOB')
