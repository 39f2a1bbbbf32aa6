-- parent: 0005
-- message: split full_name into first_name and last_name

alter table users add column first_name text, add column last_name text;

update users
   set first_name = split_part(full_name, ' ', 1),
       last_name  = nullif(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), '');

alter table users alter column first_name set not null, drop column full_name;
