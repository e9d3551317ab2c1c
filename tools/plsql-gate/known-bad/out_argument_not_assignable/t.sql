-- PLS-00363: expression '...' cannot be used as an assignment target
-- (an OUT or IN OUT formal needs a variable as its actual).
create or replace package p as
  procedure fill(p_text out varchar2, p_count in out pls_integer);
end p;
/
create or replace package body p as
  procedure fill(p_text out varchar2, p_count in out pls_integer) is
  begin
    p_text := 'x';
    p_count := p_count + 1;
  end fill;
  procedure caller is
    l_lob clob;
    l_amount pls_integer := 100;
    l_buf varchar2(100);
    l_n pls_integer := 0;
  begin
    dbms_lob.createtemporary(l_lob, true);
    dbms_lob.read(l_lob, 100, 1, l_buf);
    dbms_lob.read(l_lob, l_amount, 1, l_buf || 'x');
    dbms_lob.createtemporary(to_clob('a'), true);
    fill('literal', l_n);
    fill(l_buf, l_n + 1);
  end caller;
end p;
/
