DROP TABLE shadow_field_counts;
DROP TABLE shadow_counts;
