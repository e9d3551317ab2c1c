-- Removes the MSGRAPH package and its library (SQL*Plus or SQLcl), run as
-- the owner. Credentials live only in the extproc agents: ending the
-- sessions (or the multithreaded agent) forgets them.
set define off
whenever sqlerror continue
drop package msgraph;
drop library msgraph_lib;
