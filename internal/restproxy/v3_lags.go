package restproxy

// REST Proxy v3: consumer lag, as Confluent's proxy computes it. For each
// partition the group has committed an offset for, the log end offset is
// ListOffsets' latest under READ_COMMITTED (the last stable offset, so
// that open transactions do not count as lag), and the lag is that minus
// the committed offset, never below zero. The member the group assigned
// the partition to is named; a partition no member holds names nobody
// ("").
//
//	GET /v3/clusters/{cluster_id}/consumer-groups/{group}/lags
//	GET /v3/clusters/{cluster_id}/consumer-groups/{group}/lags/{topic}/partitions/{partition}
//	GET /v3/clusters/{cluster_id}/consumer-groups/{group}/lag-summary
//
// A group with no committed offsets, as one that does not exist, is 404.
// Lags are listed by lag, largest first, then by topic and partition; the
// summary's max_lag is the first largest in topic and partition order.
// Differences from Confluent's: a partition whose end offset cannot be
// listed (its topic deleted, say) is left out instead of failing the
// request.

import (
	"cmp"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func (p *Proxy) routesV3Lags(m *http.ServeMux) {
	const g = "/v3/clusters/{cluster}/consumer-groups/{group}"
	m.HandleFunc("GET "+g+"/lags", p.v3(p.listLags))
	m.HandleFunc("GET "+g+"/lags/{topic}/partitions/{partition}", p.v3(p.getLag))
	m.HandleFunc("GET "+g+"/lag-summary", p.v3(p.lagSummary))
}

// partitionLag is one committed partition of a group.
type partitionLag struct {
	topic         string
	partition     int32
	currentOffset int64
	logEndOffset  int64
	member        *kadm.DescribedGroupMember // assigned the partition; nil: nobody
}

func (l partitionLag) lag() int64 { return max(0, l.logEndOffset-l.currentOffset) }

var (
	errNoGroupOffsets = errorf(http.StatusNotFound, http.StatusNotFound, "Consumer group offsets could not be found.")
	errNoLags         = errorf(http.StatusNotFound, http.StatusNotFound, "Consumer lags not found.")
)

// groupLags returns the lag of each partition group has committed an
// offset for, in topic and partition order; none is 404.
func (p *Proxy) groupLags(r v3req, group string) ([]partitionLag, error) {
	described, err := r.adm.DescribeGroups(r.ctx, group)
	if err != nil && len(described) == 0 {
		return nil, timeoutOr(r.ctx, err)
	}
	g := described[group]
	if g.Err != nil && !errors.Is(g.Err, kerr.GroupIDNotFound) {
		return nil, g.Err
	}
	committed, err := committedOffsets(r, group)
	if err != nil {
		return nil, err
	}
	ends, err := r.adm.ListCommittedOffsets(r.ctx, slices.Collect(maps.Keys(committed))...)
	if err != nil {
		return nil, timeoutOr(r.ctx, err)
	}
	assigned := assignments(g)
	var out []partitionLag
	for _, topic := range slices.Sorted(maps.Keys(committed)) {
		for _, partition := range slices.Sorted(maps.Keys(committed[topic])) {
			end, ok := ends.Lookup(topic, partition)
			if !ok || end.Err != nil || end.Offset < 0 {
				continue
			}
			out = append(out, partitionLag{topic: topic, partition: partition, currentOffset: committed[topic][partition],
				logEndOffset: end.Offset, member: assigned[topicPartition{topic, partition}]})
		}
	}
	if len(out) == 0 {
		return nil, errNoLags
	}
	return out, nil
}

// committedOffsets returns the offsets group has committed, by topic and
// partition; none is 404.
func committedOffsets(r v3req, group string) (map[string]map[int32]int64, error) {
	fetched, err := r.adm.FetchOffsets(r.ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil, errNoGroupOffsets
	}
	if err != nil {
		return nil, timeoutOr(r.ctx, err)
	}
	out := map[string]map[int32]int64{}
	for topic, partitions := range fetched {
		for partition, o := range partitions {
			if o.Err != nil {
				return nil, o.Err
			}
			if o.At < 0 {
				continue
			}
			if out[topic] == nil {
				out[topic] = map[int32]int64{}
			}
			out[topic][partition] = o.At
		}
	}
	if len(out) == 0 {
		return nil, errNoGroupOffsets
	}
	return out, nil
}

type topicPartition struct {
	topic     string
	partition int32
}

// assignments maps each partition assigned in g to its member.
func assignments(g kadm.DescribedGroup) map[topicPartition]*kadm.DescribedGroupMember {
	out := map[topicPartition]*kadm.DescribedGroupMember{}
	for i := range g.Members {
		m := &g.Members[i]
		a, ok := m.Assigned.AsConsumer()
		if !ok {
			continue
		}
		for _, t := range a.Topics {
			for _, partition := range t.Partitions {
				out[topicPartition{t.Topic, partition}] = m
			}
		}
	}
	return out
}

// memberOf returns the consumer id, instance id and client id of m, empty
// for nobody.
func memberOf(m *kadm.DescribedGroupMember) (consumerID string, instanceID *string, clientID string) {
	if m == nil {
		return "", nil, ""
	}
	return m.MemberID, m.InstanceID, m.ClientID
}

type consumerLagV3 struct {
	Kind            string       `json:"kind"`
	Metadata        resourceMeta `json:"metadata"`
	ClusterID       string       `json:"cluster_id"`
	ConsumerGroupID string       `json:"consumer_group_id"`
	TopicName       string       `json:"topic_name"`
	PartitionID     int32        `json:"partition_id"`
	ConsumerID      string       `json:"consumer_id"`
	InstanceID      *string      `json:"instance_id"`
	ClientID        string       `json:"client_id"`
	CurrentOffset   int64        `json:"current_offset"`
	LogEndOffset    int64        `json:"log_end_offset"`
	Lag             int64        `json:"lag"`
}

func (p *Proxy) lagOf(r v3req, group string, l partitionLag) consumerLagV3 {
	partition := itoa(int64(l.partition))
	self := r.base + "/consumer-groups/" + group + "/lags/" + l.topic + "/partitions/" + partition
	consumerID, instanceID, clientID := memberOf(l.member)
	return consumerLagV3{Kind: "KafkaConsumerLag",
		Metadata:  meta(self, "crn:///kafka="+p.cfg.ClusterID+"/consumer-group="+group+"/lag="+l.topic+"/partition="+partition),
		ClusterID: p.cfg.ClusterID, ConsumerGroupID: group, TopicName: l.topic, PartitionID: l.partition,
		ConsumerID: consumerID, InstanceID: instanceID, ClientID: clientID,
		CurrentOffset: l.currentOffset, LogEndOffset: l.logEndOffset, Lag: l.lag()}
}

func (p *Proxy) listLags(w http.ResponseWriter, r v3req) {
	group := r.PathValue("group")
	lags, err := p.groupLags(r, group)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	slices.SortStableFunc(lags, func(a, b partitionLag) int { return cmp.Compare(b.lag(), a.lag()) })
	out := make([]consumerLagV3, 0, len(lags))
	for _, l := range lags {
		out = append(out, p.lagOf(r, group, l))
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaConsumerLagList", r.base+"/consumer-groups/"+group+"/lags", out))
}

func (p *Proxy) getLag(w http.ResponseWriter, r v3req) {
	group, topic := r.PathValue("group"), r.PathValue("topic")
	partition, perr := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	lags, err := p.groupLags(r, group)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	for _, l := range lags {
		if perr == nil && l.topic == topic && int64(l.partition) == partition {
			writeJSON(w, http.StatusOK, contentTypeV3, p.lagOf(r, group, l))
			return
		}
	}
	writeV3Error(w, errNotFound)
}

type lagSummaryV3 struct {
	Kind              string       `json:"kind"`
	Metadata          resourceMeta `json:"metadata"`
	ClusterID         string       `json:"cluster_id"`
	ConsumerGroupID   string       `json:"consumer_group_id"`
	MaxLag            int64        `json:"max_lag"`
	TotalLag          int64        `json:"total_lag"`
	MaxLagConsumerID  string       `json:"max_lag_consumer_id"`
	MaxLagConsumer    related      `json:"max_lag_consumer"`
	MaxLagClientID    string       `json:"max_lag_client_id"`
	MaxLagInstanceID  *string      `json:"max_lag_instance_id"`
	MaxLagTopicName   string       `json:"max_lag_topic_name"`
	MaxLagPartitionID int32        `json:"max_lag_partition_id"`
	MaxLagPartition   related      `json:"max_lag_partition"`
}

func (p *Proxy) lagSummary(w http.ResponseWriter, r v3req) {
	group := r.PathValue("group")
	lags, err := p.groupLags(r, group)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	top, total := lags[0], int64(0)
	for _, l := range lags {
		total += l.lag()
		if l.lag() > top.lag() {
			top = l
		}
	}
	self := r.base + "/consumer-groups/" + group
	consumerID, instanceID, clientID := memberOf(top.member)
	consumer := self + "/consumers"
	if consumerID != "" {
		consumer += "/" + consumerID
	}
	writeJSON(w, http.StatusOK, contentTypeV3, lagSummaryV3{Kind: "KafkaConsumerGroupLagSummary",
		Metadata:  meta(self+"/lag-summary", "crn:///kafka="+p.cfg.ClusterID+"/consumer-group="+group+"/lag-summary"),
		ClusterID: p.cfg.ClusterID, ConsumerGroupID: group, MaxLag: top.lag(), TotalLag: total,
		MaxLagConsumerID: consumerID, MaxLagConsumer: related{consumer}, MaxLagClientID: clientID, MaxLagInstanceID: instanceID,
		MaxLagTopicName: top.topic, MaxLagPartitionID: top.partition,
		MaxLagPartition: related{r.base + "/topics/" + top.topic + "/partitions/" + itoa(int64(top.partition))}})
}
