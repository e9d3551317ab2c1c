-- Removes the MSGRAPH packages, types, sync tables and the library
-- (SQL*Plus or SQLcl), run as the owner. Credentials live only in the
-- extproc agents: ending the sessions (or the multithreaded agent)
-- forgets them. Scheduler jobs made from sql/examples are dropped by
-- their own scripts (dbms_scheduler.drop_job).
--
-- The sync tables hold staged copies of mailbox items: uninstall drops
-- them (and their data) too.
set define off
whenever sqlerror continue
drop package msgraph_sync;
drop table msgraph_sync_log purge;
drop sequence msgraph_sync_log_seq;
drop table msgraph_sync_event purge;
drop table msgraph_sync_contact purge;
drop table msgraph_sync_task purge;
drop table msgraph_sync_state purge;
drop table msgraph_sync_mailbox purge;
drop view msgraph_sync_run_summary;
drop table msgraph_sync_run purge;
drop table msgraph_sync_call purge;
drop sequence msgraph_sync_run_seq;
drop sequence msgraph_sync_mailbox_seq;
drop package msgraph_m365;
drop type msgraph_access_tab force;
drop type msgraph_access_row force;
drop type msgraph_secret_tab force;
drop type msgraph_secret_row force;
drop package msgraph;
drop library msgraph_lib;
