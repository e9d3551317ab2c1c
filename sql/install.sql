-- Installs the MSGRAPH package (SQL*Plus or SQLcl), in the schema that will
-- own it (needs CREATE LIBRARY and CREATE PROCEDURE):
--
--   sqlplus owner@db @install.sql /opt/msgraph/lib/libmsgraph.so
--
-- The first argument is the full path of libmsgraph.so on the database
-- server; it must also be listed in EXTPROC_DLLS (see extproc.ora.sample).
-- Callers then need only: GRANT EXECUTE ON owner.msgraph TO caller;
--
-- Then the companion packages (pure PL/SQL over MSGRAPH): the types of the
-- pipelined functions, MSGRAPH_M365 (mail, secrets, access checks,
-- calendar, contacts, To Do, mailbox settings, SharePoint), the sync
-- tables and MSGRAPH_SYNC. MSGRAPH_SYNC needs EXECUTE on SYS.DBMS_LOCK
-- (granted directly to the owner) and CREATE TABLE, CREATE SEQUENCE; run
-- the script with a second argument NOSYNC to leave the sync part out:
--
--   sqlplus owner@db @install.sql /opt/msgraph/lib/libmsgraph.so NOSYNC
set define on
set verify off
whenever sqlerror exit failure rollback
column 2 new_value 2 noprint
select '' "2" from dual where rownum = 0;
define msgraph_lib_path = '&1'
define msgraph_sync = '&2'

prompt Creating library MSGRAPH_LIB as &msgraph_lib_path
create or replace library msgraph_lib as '&msgraph_lib_path';
/

prompt Creating package MSGRAPH
@@msgraph.pks
show errors package msgraph
@@msgraph.pkb
show errors package body msgraph

prompt Creating types and package MSGRAPH_M365
@@msgraph_types.sql
@@msgraph_m365.pks
show errors package msgraph_m365
@@msgraph_m365.pkb
show errors package body msgraph_m365

-- sync_schema.sql, unless NOSYNC (the tables are created once: a second
-- install keeps the data and only replaces the package)
column sync_script new_value sync_script noprint
select case when upper('&msgraph_sync') = 'NOSYNC' then 'install_skip.sql'
            when exists (select null from user_tables where table_name = 'MSGRAPH_SYNC_STATE') then 'install_skip.sql'
            else 'sync_schema.sql' end sync_script
  from dual;
@@&sync_script
column pkg_script new_value pkg_script noprint
select case when upper('&msgraph_sync') = 'NOSYNC' then 'install_skip.sql' else 'msgraph_sync_pkg.sql' end pkg_script
  from dual;
@@&pkg_script

whenever sqlerror continue
prompt Done. Check with: select msgraph.version from dual;
