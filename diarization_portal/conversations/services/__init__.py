"""Services: the writes that span models. Each is atomic and takes keyword-only arguments."""
