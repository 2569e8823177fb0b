"""What both FLTR services need and neither owns. Imports no service."""
