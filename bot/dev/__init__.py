"""Development tooling: the demo city, the loopback fake of WeChat's API, the simulator, `make run`. Never in production."""
