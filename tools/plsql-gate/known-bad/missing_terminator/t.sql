-- A PL/SQL unit needs a '/' line: without it SQL*Plus appends the next
-- statement to the unit (PLS-00103) or never runs it.
create or replace package a as
  procedure x;
end a;

create or replace package b as
  procedure y;
end b;
/
