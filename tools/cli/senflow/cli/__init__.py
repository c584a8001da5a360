"""The `senflow` operator CLI: consumer lag, a device simulator, a message tail, dead letters."""
