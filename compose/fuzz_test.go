package compose

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConvert feeds arbitrary compose files through our loader
// wrapper and, when compose-go accepts them, through the conversion into
// create requests: neither may panic, and conversion errors must be
// errors, not crashes.
func FuzzLoadConvert(f *testing.F) {
	for _, seed := range []string{
		"services:\n  a:\n    image: busybox\n",
		"services:\n  a:\n    image: busybox\n    ports: [\"127.0.0.1:80:80/udp\", \"9000-9001:9000-9001\"]\n    expose: [\"1-3/udp\"]\n",
		"services:\n  a:\n    image: busybox\n    volumes: [\"v:/v\", \"/h:/h:ro\", {type: tmpfs, target: /t, tmpfs: {size: 10}}]\n    tmpfs: [\"/x:size=1m\"]\nvolumes:\n  v:\n",
		"services:\n  a:\n    image: busybox\n    networks:\n      n:\n        ipv4_address: 10.0.0.2\n        aliases: [x]\nnetworks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]\n",
		"services:\n  a:\n    image: busybox\n    deploy:\n      replicas: 2\n      resources: {limits: {cpus: '0.5', memory: 10M}}\n      restart_policy: {condition: on-failure, max_attempts: 3}\n",
		"services:\n  a:\n    image: busybox\n    healthcheck: {test: [CMD, 'true'], interval: 1s, retries: 2}\n    depends_on: {b: {condition: service_healthy}}\n  b:\n    image: busybox\n    dns: [1.1.1.1]\n    ulimits: {nofile: {soft: 1, hard: 2}}\n",
		"services:\n  a:\n    image: busybox\n    network_mode: service:b\n    volumes_from: [b]\n    links: [b:bee]\n  b:\n    image: busybox\n",
		"services:\n  a:\n    image: busybox\n    secrets: [s]\n    configs: [c]\nsecrets:\n  s: {file: ./s}\nconfigs:\n  c: {content: x}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), LoadOptions{ProjectDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, ProjectName: "fuzz"})
		if err != nil {
			return
		}
		for _, name := range p.ServiceNames() {
			s := p.Services[name]
			h, err := ServiceHash(s)
			if err != nil {
				continue
			}
			_, _ = toCreate(p, s, 1, ContainerName(p.Name, name, 1), h, false, func(string) (string, error) { return "other", nil })
		}
	})
}
