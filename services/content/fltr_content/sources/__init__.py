"""Sources: where a dataset's documents come from (files, URLs, APIs), per dataset."""
