package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"gregor/internal/handler"
	"gregor/internal/logging"
	"gregor/internal/schema"
	"gregor/internal/schema/avro"
	"gregor/internal/schema/jsonschema"
	"gregor/internal/schema/protobuf"
	"gregor/internal/schemareg"
)

// schemaFormats are the schema formats the registry serves.
func schemaFormats() []schema.Format {
	return []schema.Format{avro.Format{}, jsonschema.Format{}, protobuf.Format{}}
}

// listenSchemaRegistry binds schema.registry.listeners, if it names a
// listener.
func (n *Node) listenSchemaRegistry() (net.Listener, error) {
	if !n.cfg.HasRole("broker") {
		return nil, nil // a controller-only node serves no clients' data
	}
	auth, err := httpAuthenticator("schema.registry", "SchemaRegistry", n.cfg.SchemaRegistryAuth())
	if err != nil {
		return nil, err
	}
	n.schemaRegistryAuth = auth
	ln, err := n.listenService("schema.registry", n.cfg.SchemaRegistryAddress())
	if ln != nil {
		n.schemaRegistryAddr = ln.Addr()
	}
	return ln, err
}

// serveSchemaRegistry runs the schema registry on ln (nil: none) under
// g. It is a Kafka client of this node's first PLAINTEXT listener, as the
// web console is: it reads and writes _schemas through the same APIs as
// any client. Without a PLAINTEXT listener it is off.
func (n *Node) serveSchemaRegistry(ctx context.Context, g *errgroup.Group, ln net.Listener) {
	if ln == nil {
		return
	}
	bootstrap := n.plaintextAddr()
	if bootstrap == "" {
		n.logger.Warn("schema registry off: it needs a PLAINTEXT listener")
		n.schemaSource.off.Store(true)
		ln.Close()
		n.schemaRegistryAddr = nil
		return
	}
	reg := schemareg.New(schemareg.Config{Bootstrap: bootstrap, Formats: schemaFormats(),
		Authenticate: n.schemaRegistryAuth, Logger: logging.Named(n.logger, "gregor.schema-registry")})
	n.schemaSource.reg.Store(reg)
	g.Go(func() error { return reg.Run(ctx) })
	g.Go(func() error { return reg.Serve(ctx, ln) })
}

// SchemaRegistryAddr returns the bound address of the schema registry's
// listener, nil when it is off.
func (n *Node) SchemaRegistryAddr() net.Addr { return n.schemaRegistryAddr }

// schemaRegistryURL is the registry's URL for the start-up line, empty
// when it is off.
func (n *Node) schemaRegistryURL() string {
	return n.serviceURL("schema.registry", n.schemaRegistryAddr)
}

// registrySchemas is the handler's SchemaSource: the node's registry,
// once serveSchemaRegistry has made it (the broker listeners serve
// before).
type registrySchemas struct {
	reg atomic.Pointer[schemareg.Registry]
	off atomic.Bool // the registry could not start
}

var errRegistryOff = fmt.Errorf("%w (its registry is off: it needs a PLAINTEXT listener)", handler.ErrNoSchemaRegistry)

func (s *registrySchemas) Generation() int64 {
	if reg := s.reg.Load(); reg != nil {
		return reg.Generation()
	}
	return -1
}

func (s *registrySchemas) CatchUp(ctx context.Context) error {
	reg := s.reg.Load()
	if reg == nil {
		return handler.ErrSchemaRegistryNotReady
	}
	return reg.CatchUp(ctx)
}

func (s *registrySchemas) SchemaByID(id int32) (handler.SchemaInfo, bool, error) {
	reg := s.reg.Load()
	if reg == nil {
		if s.off.Load() {
			return handler.SchemaInfo{}, false, errRegistryOff
		}
		return handler.SchemaInfo{}, false, handler.ErrSchemaRegistryNotReady
	}
	use, found, err := reg.SchemaUse(int(id))
	if errors.Is(err, schemareg.ErrNotReady) {
		return handler.SchemaInfo{}, false, fmt.Errorf("%w: %w", handler.ErrSchemaRegistryNotReady, err)
	}
	return handler.SchemaInfo{Parsed: use.Parsed, ParseErr: use.ParseErr, Subjects: use.Subjects}, found, err
}
