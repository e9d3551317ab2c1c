create or replace function url return varchar2 is
begin
  return '/me/calendarView?startDateTime=2026-01-01&endDateTime=2026-02-01';
end;
/
