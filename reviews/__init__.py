"""reviews: quarterly and annual reviews, their SLA reports, minutes, action plans and the dashboards."""
