-- B's body calls A, whose spec the script creates only afterwards: B is
-- INVALID at the end of the install (PLS-00201 at its compilation).
set define off
whenever sqlerror exit failure
@@b.pks
@@b.pkb
@@a.pks
