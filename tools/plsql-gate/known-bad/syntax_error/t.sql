-- PLS-00103: encountered the symbol ";".
begin
  x := ;
end;
/
