drop table invoices;
drop type invoice_status;
