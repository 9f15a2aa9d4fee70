"""What runs report: outcomes, tables, figures and the HTML report."""
