create or replace package b as
  procedure y;
end b;
/
