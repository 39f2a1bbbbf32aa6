-- parent: 0002
-- message: invoices (billing team)

create type invoice_status as enum ('draft', 'sent', 'paid', 'void');

create table invoices (
  id          bigint generated always as identity primary key,
  user_id     bigint not null references users (id),
  status      invoice_status not null default 'draft',
  total_cents integer not null check (total_cents >= 0),
  issued_at   timestamptz
);

create index invoices_user_id_idx on invoices (user_id);
