-- Called by install.sql (Oracle 12.2 and later): the types of the
-- pipelined functions and the MSGRAPH_M365 package.
-- Minimum release: 12.2
prompt Creating types and package MSGRAPH_M365
set define off
@@msgraph_types.sql
@@msgraph_m365.pks
show errors package msgraph_m365
@@msgraph_m365.pkb
show errors package body msgraph_m365
set define on
