package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

type overviewData struct {
	Metadata kadm.Metadata
	Version  string
	Topics   int
	Groups   int
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	d := overviewData{Version: c.cfg.Version}
	adm, err := c.admin(r)
	if err == nil {
		d.Metadata, err = adm.Metadata(ctx)
		d.Topics = len(d.Metadata.Topics.TopicsList())
	}
	if err == nil {
		var groups kadm.ListedGroups
		groups, err = adm.ListGroups(ctx)
		d.Groups = len(groups)
	}
	c.render(w, r, "overview.html", "Cluster", d, err)
}

// topicRow is one topic in the list.
type topicRow struct {
	Name        string
	Internal    bool
	Partitions  int
	Replication int
	Messages    int64 // end offsets minus start offsets
}

func (c *Console) topics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	var rows []topicRow
	adm, err := c.admin(r)
	var details kadm.TopicDetails
	if err == nil {
		details, err = adm.ListTopicsWithInternal(ctx)
	}
	var starts, ends kadm.ListedOffsets
	if err == nil && len(details) > 0 {
		starts, _ = adm.ListStartOffsets(ctx, details.Names()...)
		ends, _ = adm.ListEndOffsets(ctx, details.Names()...)
	}
	for _, t := range details.Sorted() {
		row := topicRow{Name: t.Topic, Internal: t.IsInternal, Partitions: len(t.Partitions), Replication: t.Partitions.NumReplicas()}
		for p := range t.Partitions {
			s, _ := starts.Lookup(t.Topic, p)
			e, _ := ends.Lookup(t.Topic, p)
			row.Messages += e.Offset - s.Offset
		}
		rows = append(rows, row)
	}
	c.render(w, r, "topics.html", "Topics", rows, err)
}

type partitionRow struct {
	kadm.PartitionDetail
	Start, End int64
}

// Messages is how many offsets the partition holds.
func (p partitionRow) Messages() int64 { return p.End - p.Start }

type topicData struct {
	Name       string
	ID         string
	Partitions []partitionRow
	Configs    []kadm.Config
	Produced   string // the produce form's last result
}

func (c *Console) topic(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	name := r.PathValue("topic")
	d := topicData{Name: name, Produced: r.URL.Query().Get("produced")}
	adm, err := c.admin(r)
	var details kadm.TopicDetails
	if err == nil {
		details, err = adm.ListTopicsWithInternal(ctx, name)
	}
	t, ok := details[name]
	switch {
	case err != nil:
	case !ok || t.Err != nil:
		err = fmt.Errorf("topic %s: %v", name, errors.Join(t.Err, errIf(!ok, "not found")))
	default:
		d.ID = t.ID.String()
		starts, _ := adm.ListStartOffsets(ctx, name)
		ends, _ := adm.ListEndOffsets(ctx, name)
		for _, p := range t.Partitions.Sorted() {
			s, _ := starts.Lookup(name, p.Partition)
			e, _ := ends.Lookup(name, p.Partition)
			d.Partitions = append(d.Partitions, partitionRow{PartitionDetail: p, Start: s.Offset, End: e.Offset})
		}
		var configs kadm.ResourceConfigs
		if configs, err = adm.DescribeTopicConfigs(ctx, name); err == nil && len(configs) == 1 {
			d.Configs = configs[0].Configs
			slices.SortFunc(d.Configs, func(a, b kadm.Config) int { return strings.Compare(a.Key, b.Key) })
		}
	}
	c.render(w, r, "topic.html", "Topic "+name, d, err)
}

func errIf(cond bool, msg string) error {
	if cond {
		return errors.New(msg)
	}
	return nil
}

func (c *Console) createTopic(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	name := strings.TrimSpace(r.FormValue("name"))
	partitions, _ := strconv.Atoi(r.FormValue("partitions"))
	replication, _ := strconv.Atoi(r.FormValue("replication"))
	adm, err := c.admin(r)
	if err == nil {
		var resp kadm.CreateTopicResponse
		resp, err = adm.CreateTopic(ctx, int32(max(partitions, -1)), int16(max(replication, -1)), nil, name)
		if err == nil {
			err = resp.Err
		}
	}
	if err != nil {
		c.redirect(w, r, "/topics", "create "+name+": "+err.Error())
		return
	}
	c.redirect(w, r, "/topics/"+url.PathEscape(name), "created "+name)
}

func (c *Console) deleteTopic(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	name := r.PathValue("topic")
	if r.FormValue("confirm") != name {
		c.redirect(w, r, "/topics/"+url.PathEscape(name), "not deleted: type the topic's name to confirm")
		return
	}
	adm, err := c.admin(r)
	if err == nil {
		var resp kadm.DeleteTopicResponse
		if resp, err = adm.DeleteTopic(ctx, name); err == nil {
			err = resp.Err
		}
	}
	if err != nil {
		c.redirect(w, r, "/topics/"+url.PathEscape(name), "delete: "+err.Error())
		return
	}
	c.redirect(w, r, "/topics", "deleted "+name)
}

func (c *Console) alterConfig(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	name, key, value := r.PathValue("topic"), strings.TrimSpace(r.FormValue("key")), r.FormValue("value")
	op := kadm.AlterConfig{Op: kadm.SetConfig, Name: key, Value: &value}
	if r.FormValue("op") == "delete" {
		op = kadm.AlterConfig{Op: kadm.DeleteConfig, Name: key}
	}
	adm, err := c.admin(r)
	if err == nil {
		var resps kadm.AlterConfigsResponses
		if resps, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{op}, name); err == nil && len(resps) == 1 {
			err = resps[0].Err
		}
	}
	notice := "set " + key
	if err != nil {
		notice = "config " + key + ": " + err.Error()
	}
	c.redirect(w, r, "/topics/"+url.PathEscape(name), notice)
}

// redirect answers a form with a redirect to path showing notice (the
// post/redirect/get pattern: a reload does not repeat the change).
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(w, r, path+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

type groupRow struct {
	kadm.DescribedGroupLag
	TotalLag int64
	Chart    *lagChart // the total lag over the last minutes; nil before the first sample
}

func (c *Console) groups(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	var rows []groupRow
	adm, err := c.admin(r)
	var lags kadm.DescribedGroupLags
	if err == nil {
		lags, err = adm.Lag(ctx)
	}
	totals := map[string]int64{}
	for _, l := range lags {
		if l.Error() == nil {
			totals[l.Group] = l.Lag.Total()
		}
	}
	c.lag.add(time.Now(), totals)
	for _, l := range lags.Sorted() {
		rows = append(rows, groupRow{DescribedGroupLag: l, TotalLag: l.Lag.Total(), Chart: chart(c.lag.series(l.Group), 120, 24)})
	}
	c.render(w, r, "groups.html", "Consumer groups", rows, err)
}

type groupData struct {
	Group groupRow
	Lags  []kadm.GroupMemberLag
}

func (c *Console) group(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := c.context(r)
	defer cancel()
	name := r.PathValue("group")
	d := groupData{}
	adm, err := c.admin(r)
	var lags kadm.DescribedGroupLags
	if err == nil {
		lags, err = adm.Lag(ctx, name)
	}
	if l, ok := lags[name]; ok && err == nil {
		err = l.Error()
		if err == nil {
			c.lag.add(time.Now(), map[string]int64{name: l.Lag.Total()})
		}
		d.Group = groupRow{DescribedGroupLag: l, TotalLag: l.Lag.Total(), Chart: chart(c.lag.series(name), 600, 140)}
		d.Lags = l.Lag.Sorted()
	}
	c.render(w, r, "group.html", "Group "+name, d, err)
}
