"""A person's own data (AVG/GDPR): the download of everything kept about them, and erasure."""
