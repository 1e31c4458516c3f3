package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"gregor/internal/config"
	"gregor/internal/controller/voterclient"
	"gregor/internal/storage"
	"gregor/internal/wire"
)

// withQuorumVoters returns cfg with the controller quorum's voters when
// the configuration names the quorum by controller.quorum.bootstrap.servers
// rather than controller.quorum.voters (KIP-853's form, that of Kafka 4's
// sample configurations). The voter set stays static, as Gregor's quorum
// is:
//   - a node formatted with --standalone or --initial-controllers takes
//     the voters the format wrote into its metadata log dir;
//   - a combined node whose bootstrap servers are all its own controller
//     listener is a quorum of one, itself (`gregor server` formats on
//     first start, as --standalone would);
//   - a broker-only node asks the bootstrap servers (DescribeQuorum v2 on
//     their controller listener) until one answers.
func withQuorumVoters(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*config.Config, error) {
	if len(cfg.Voters) > 0 || len(cfg.QuorumBootstrapServers) == 0 {
		return cfg, nil
	}
	formatted, err := storage.ReadQuorumVoters(cfg.MetadataLogDir)
	if err != nil {
		return nil, err
	}
	if formatted != "" {
		voters, err := config.ParseVoters(formatted)
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", storage.QuorumVotersFile, cfg.MetadataLogDir, err)
		}
		return cfg.WithVoters(voters)
	}
	if cfg.HasRole("controller") {
		self, ok := cfg.ControllerEndpoint()
		if !ok || !cfg.HasRole("broker") || !slices.ContainsFunc(cfg.QuorumBootstrapServers, func(s string) bool { return isSelf(s, self) }) ||
			slices.ContainsFunc(cfg.QuorumBootstrapServers, func(s string) bool { return !isSelf(s, self) }) {
			return nil, fmt.Errorf("%s was not formatted with the controller quorum: a controller named by controller.quorum.bootstrap.servers takes its voters from `gregor storage format --standalone` or `--initial-controllers`", cfg.MetadataLogDir)
		}
		return cfg.WithVoters([]config.Voter{self})
	}
	voters, err := discoverVoters(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	return cfg.WithVoters(voters)
}

// isSelf reports whether the bootstrap server addr is self's controller
// listener: the same port on a loopback name or self's own host.
func isSelf(addr string, self config.Voter) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port != strconv.Itoa(self.Port) {
		return false
	}
	if host == self.Host || host == "localhost" || host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// discoverVoters asks the bootstrap servers for the quorum's voters and
// their controller endpoints, once a second until one answers or ctx ends,
// logging a failure at most every ten seconds.
func discoverVoters(ctx context.Context, cfg *config.Config, logger *slog.Logger) ([]config.Voter, error) {
	security, err := controllerListenerSecurity(cfg)
	if err != nil {
		return nil, err
	}
	dial := wire.Dialer{TLS: security.clientTLS, SASL: security.login}
	listener := "CONTROLLER"
	if len(cfg.ControllerListenerNames) > 0 {
		listener = cfg.ControllerListenerNames[0]
	}
	clientID := fmt.Sprintf("broker-%d-bootstrap", cfg.NodeID)
	var logged time.Time
	for {
		voters, err := voterclient.Ask(ctx, dial, clientID, cfg.QuorumBootstrapServers, listener)
		if err == nil {
			logger.Info("found the controller quorum", "controller.quorum.bootstrap.servers", cfg.QuorumBootstrapServers, "voters", config.VotersString(voters))
			return voters, nil
		}
		if time.Since(logged) >= 10*time.Second {
			logger.Warn("asking controller.quorum.bootstrap.servers for the voters", "servers", cfg.QuorumBootstrapServers, "err", err)
			logged = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("controller.quorum.bootstrap.servers %v: no voters found: %w", cfg.QuorumBootstrapServers, err)
		case <-time.After(time.Second):
		}
	}
}
