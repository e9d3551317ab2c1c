create or replace package body b as
  procedure y is
  begin
    a.x;
  end y;
end b;
/
