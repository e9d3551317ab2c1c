-- PLS-00231: a function declared only in the package body cannot be used in SQL.
create or replace package p as
  procedure run;
end p;
/
create or replace package body p as
  function helper(p_x in number) return number is
  begin
    return p_x + 1;
  end helper;
  procedure run is
    l_n number;
  begin
    select helper(1) into l_n from dual;
  end run;
end p;
/
