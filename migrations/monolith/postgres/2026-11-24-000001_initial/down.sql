DROP TABLE invoices;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE shipments;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE items;
DROP TABLE customers;
