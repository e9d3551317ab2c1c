-- Installs the MSGRAPH package (SQL*Plus or SQLcl), in the schema that will
-- own it (needs CREATE LIBRARY and CREATE PROCEDURE):
--
--   sqlplus owner@db @install.sql /opt/msgraph/lib/libmsgraph.so
--
-- The first argument is the full path of libmsgraph.so on the database
-- server; it must also be listed in EXTPROC_DLLS (see extproc.ora.sample).
-- In a PDB created with PATH_PREFIX (12.2 and later), give the file name
-- and, as third argument, a directory object for its folder (the owner
-- needs EXECUTE on it): CREATE LIBRARY ... IN that directory.
--
--   sqlplus owner@db @install.sql libmsgraph.so SYNC MSGRAPH_LIB_DIR
--
-- Callers then need only: GRANT EXECUTE ON owner.msgraph TO caller;
--
-- Release matrix (sql/README.md): MSGRAPH (the core package and its call
-- specs) on Oracle 11.2.0.4 and later. The companions need 12.2 or later
-- (JSON_OBJECT_T): the types of the pipelined functions, MSGRAPH_M365
-- (mail, secrets, access checks, calendar, contacts, To Do, mailbox
-- settings, SharePoint), the sync tables and MSGRAPH_SYNC. Below 12.2 this
-- script says so and installs MSGRAPH alone. MSGRAPH_SYNC needs EXECUTE on
-- SYS.DBMS_LOCK (granted directly to the owner) and CREATE TABLE, CREATE
-- SEQUENCE; run the script with a second argument NOSYNC to leave the
-- sync part out:
--
--   sqlplus owner@db @install.sql /opt/msgraph/lib/libmsgraph.so NOSYNC
--
-- Running it again over an installation replaces the packages and types
-- and keeps the sync tables and their data. It stops (exit code non-zero)
-- at the first failing statement, when a privilege is missing, and when
-- any MSGRAPH object is left INVALID (after printing USER_ERRORS).
set define on
set verify off
set feedback off
set serveroutput on size unlimited
whenever oserror exit failure
whenever sqlerror exit failure rollback
column 2 new_value 2 noprint
column 3 new_value 3 noprint
select '' "2", '' "3" from dual where rownum = 0;
define msgraph_lib_path = '&1'
define msgraph_sync = '&2'
define msgraph_lib_dir = '&3'

prompt Checking the release and privileges
variable msgraph_companions varchar2(1)
variable msgraph_sync_ok varchar2(1)
declare
  l_missing varchar2(4000);
  l_n       pls_integer;
  l_sync    boolean := upper('&msgraph_sync') is null or upper('&msgraph_sync') <> 'NOSYNC';
  l_new     boolean := dbms_db_version.version > 12
                       or (dbms_db_version.version = 12 and dbms_db_version.release >= 2);

  procedure need(p_privilege in varchar2) is
  begin
    select count(*) into l_n from session_privs where privilege = p_privilege;
    if l_n = 0 then
      l_missing := l_missing || chr(10) || '  ' || p_privilege;
    end if;
  end need;
begin
  need('CREATE LIBRARY');
  need('CREATE PROCEDURE');
  if l_new then
    need('CREATE TYPE');
    if l_sync then
      need('CREATE TABLE');
      need('CREATE SEQUENCE');
      need('CREATE VIEW');   -- msgraph_sync_run_summary
      -- Definer's-rights packages see direct grants only (not roles).
      select count(*) into l_n from all_tab_privs
       where table_name = 'DBMS_LOCK' and privilege = 'EXECUTE' and grantee in (user, 'PUBLIC');
      if l_n = 0 then
        l_missing := l_missing || chr(10) || '  EXECUTE on SYS.DBMS_LOCK (granted directly, for MSGRAPH_SYNC; or run with NOSYNC)';
      end if;
    end if;
  end if;
  if '&msgraph_lib_dir' is not null then
    if not l_new then
      raise_application_error(-20000, 'CREATE LIBRARY ... IN a directory object needs Oracle 12.2 or later');
    end if;
    select count(*) into l_n from all_tab_privs
     where table_name = upper('&msgraph_lib_dir') and privilege = 'EXECUTE' and grantee in (user, 'PUBLIC');
    if l_n = 0 then
      l_missing := l_missing || chr(10) || '  EXECUTE on directory ' || upper('&msgraph_lib_dir');
    end if;
  end if;
  if l_missing is not null then
    raise_application_error(-20000, 'the installing user lacks:' || l_missing);
  end if;
  if l_new then
    :msgraph_companions := 'Y';
  else
    :msgraph_companions := 'N';
    dbms_output.put_line('Oracle ' || dbms_db_version.version || '.' || dbms_db_version.release
      || ': MSGRAPH_M365, its types and MSGRAPH_SYNC need 12.2 or later (JSON_OBJECT_T) and are'
      || ' not installed; MSGRAPH is.');
  end if;
  if l_sync and dbms_db_version.version >= 18 then
    :msgraph_sync_ok := 'Y';
  else
    if l_sync and l_new then
      dbms_output.put_line('Oracle 12.2: MSGRAPH_SYNC needs 18 or later (JSON_TABLE columns returning CLOB)'
        || ' and is not installed.');
    end if;
    :msgraph_sync_ok := 'N';
  end if;
end;
/

prompt Creating library MSGRAPH_LIB
begin
  if '&msgraph_lib_dir' is null then
    execute immediate 'create or replace library msgraph_lib as '''
      || replace('&msgraph_lib_path', '''', '''''') || '''';
  else
    execute immediate 'create or replace library msgraph_lib as '''
      || replace('&msgraph_lib_path', '''', '''''') || ''' in '
      || dbms_assert.simple_sql_name('&msgraph_lib_dir');
  end if;
end;
/

prompt Creating package MSGRAPH
-- The sources hold '&' in URLs: no substitution while they load.
set define off
@@msgraph.pks
show errors package msgraph
@@msgraph.pkb
show errors package body msgraph
set define on

-- The companions, from 12.2 on (msgraph_m365_pkg.sql: types and
-- MSGRAPH_M365). From 18 on, unless NOSYNC: sync_schema.sql (re-runnable:
-- it creates what is missing and keeps the data), then msgraph_sync_pkg.sql.
column m365_script new_value m365_script noprint
select case when :msgraph_companions = 'Y' then 'msgraph_m365_pkg.sql' else 'install_skip.sql' end m365_script
  from dual;
@@&m365_script
column sync_script new_value sync_script noprint
select case when :msgraph_sync_ok = 'N' then 'install_skip.sql'
            else 'sync_schema.sql' end sync_script
  from dual;
@@&sync_script
column pkg_script new_value pkg_script noprint
select case when :msgraph_sync_ok = 'Y' then 'msgraph_sync_pkg.sql' else 'install_skip.sql' end pkg_script
  from dual;
@@&pkg_script

prompt Checking for errors and INVALID objects
declare
  l_invalid pls_integer := 0;
begin
  for r in (select type, name, line, position, text from user_errors
             where name like 'MSGRAPH%' and attribute = 'ERROR'
             order by name, type, sequence) loop
    dbms_output.put_line(r.type || ' ' || r.name || ' ' || r.line || '/' || r.position || ': '
      || substr(r.text, 1, 3000));
  end loop;
  for r in (select object_type, object_name from user_objects
             where status = 'INVALID' and object_name like 'MSGRAPH%'
             order by object_name, object_type) loop
    l_invalid := l_invalid + 1;
    dbms_output.put_line('INVALID: ' || r.object_type || ' ' || r.object_name);
  end loop;
  if l_invalid > 0 then
    raise_application_error(-20000, l_invalid || ' MSGRAPH object(s) INVALID after the install: see above');
  end if;
end;
/

whenever sqlerror continue
prompt Done. Check with: select msgraph.version from dual;
