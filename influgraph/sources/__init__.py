"""Sources turn platform pages and files into rows of the three tables; they know nothing about graphs."""
