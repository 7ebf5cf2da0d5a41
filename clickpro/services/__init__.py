"""Domain services: phone numbers, contact imports, notifications, templates."""
