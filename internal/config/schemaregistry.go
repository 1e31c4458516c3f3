package config

// SchemaRegistryAddress is schema.registry.listeners as host:port; empty
// when the schema registry is off.
func (c *Config) SchemaRegistryAddress() string {
	addr, _ := parseHTTPListener(c.Values["schema.registry.listeners"])
	return addr
}
