"""SQL helpers shared by static checks and the runtime plugin."""
