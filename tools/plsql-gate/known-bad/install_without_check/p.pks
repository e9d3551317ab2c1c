create or replace package p as
  procedure x;
end p;
/
