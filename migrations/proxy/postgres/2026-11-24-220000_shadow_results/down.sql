DROP TABLE shadow_differences;
DROP TABLE shadow_results;
