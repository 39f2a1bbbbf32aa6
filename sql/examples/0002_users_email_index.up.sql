-- parent: 0001
-- message: unique index on users.email, built without blocking writes
-- transaction: false

create unique index concurrently if not exists users_email_key on users (lower(email));
