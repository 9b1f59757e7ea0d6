package config

// inlineWorkload and inlineTarget resolve one part of a runs API body,
// as Resolve does for each.
func inlineWorkload(c *Config, b []byte) (*Workload, error) {
	door := c.RunsAPIDoor()
	w, doc, err := pick(c, door, door.Name+" workload", "workload", "", b, nil, c.Workload, c.WorkloadNames)
	if err != nil {
		return nil, err
	}
	return w, c.part(door.Name+" workload", "workloads[0]", doc).resolveWorkload(door, w)
}

func inlineTarget(c *Config, b []byte) (*Target, error) {
	door := c.RunsAPIDoor()
	t, doc, err := pick(c, door, door.Name+" target", "target", "", b, nil, c.Target, c.TargetNames)
	if err != nil {
		return nil, err
	}
	return t, c.part(door.Name+" target", "targets[0]", doc).resolveTarget(door, t)
}
