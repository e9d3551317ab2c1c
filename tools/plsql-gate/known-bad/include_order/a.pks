create or replace package a as
  procedure x;
end a;
/
