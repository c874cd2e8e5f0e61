"""Who is calling and how often: the client's address behind proxies (one rule for the login
limits and the API throttle), login lockouts (django-axes) and the API's fixed-window counter."""
