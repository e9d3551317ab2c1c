-- Installs the MSGRAPH package (SQL*Plus or SQLcl), in the schema that will
-- own it (needs CREATE LIBRARY and CREATE PROCEDURE):
--
--   sqlplus owner@db @install.sql /opt/msgraph/lib/libmsgraph.so
--
-- The first argument is the full path of libmsgraph.so on the database
-- server; it must also be listed in EXTPROC_DLLS (see extproc.ora.sample).
-- Callers then need only: GRANT EXECUTE ON owner.msgraph TO caller;
set define on
set verify off
whenever sqlerror exit failure rollback
define msgraph_lib_path = '&1'

prompt Creating library MSGRAPH_LIB as &msgraph_lib_path
create or replace library msgraph_lib as '&msgraph_lib_path';
/

prompt Creating package MSGRAPH
@@msgraph.pks
show errors package msgraph
@@msgraph.pkb
show errors package body msgraph

whenever sqlerror continue
prompt Done. Check with: select msgraph.version from dual;
