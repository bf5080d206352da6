package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/layers"
)

// historyJSON is the audit trail of one feature.
type historyJSON struct {
	Layer     string            `json:"layer"`
	ID        int64             `json:"id"`
	Revisions []layers.Revision `json:"revisions"`
	// Checks are the field checks of a supervised change patch.
	Checks []layers.Check `json:"checks,omitempty"`
}

// featureHistory answers GET /api/v1/layers/{id}/features/{fid}/history:
// who changed the feature, when, from what to what (also for a feature
// since deleted), and for a change patch its field checks.
func (s *server) featureHistory(c *gin.Context) error {
	l, err := s.layerParam(c, readLayer)
	if err != nil {
		return err
	}
	id, err := parseFID(c)
	if err != nil {
		return err
	}
	// A caller bound to a region sees the history of its region's features
	// only; a deleted feature has no region to judge by, so it is not shown.
	if match := s.regionMatch(c, l, readLayer); match != nil {
		if f, found := s.Index.Snapshot().Get(l.ID, id); !found || !match(f) {
			return &layers.NotFoundError{Layer: l.ID, ID: id}
		}
	}
	hs, ok := layers.StoreAs[layers.HistoryStore](s.Store)
	if !ok {
		return &apiError{status: http.StatusServiceUnavailable, code: "not_configured", message: "this server's store keeps no change history"}
	}
	ctx := c.Request.Context()
	revs, err := hs.FeatureHistory(ctx, l.ID, id)
	if err != nil {
		return err
	}
	out := historyJSON{Layer: l.ID, ID: id, Revisions: revs}
	if e := s.Supervision; e != nil && l.ID == e.Rules().Roles.Patches {
		if cs, ok := layers.StoreAs[layers.CheckStore](s.Store); ok {
			if out.Checks, err = cs.CheckHistory(ctx, l.ID, id); err != nil {
				return err
			}
		}
	}
	_, exists := s.Index.Snapshot().Get(l.ID, id)
	if len(revs) == 0 && len(out.Checks) == 0 && !exists {
		return &layers.NotFoundError{Layer: l.ID, ID: id}
	}
	if wantsCSV(c) {
		return writeCSV(c, l.ID+"-"+strconv.FormatInt(id, 10)+"-history", func(b *bytes.Buffer) error { return writeHistoryCSV(b, out) })
	}
	c.JSON(http.StatusOK, out)
	return nil
}

var historyOps = map[layers.ChangeOp]string{layers.ChangeCreate: "新增", layers.ChangeReplace: "修改", layers.ChangeDelete: "删除", layers.ChangeImport: "导入"}

// writeHistoryCSV writes the audit trail as CSV (UTF-8 with a BOM, Chinese
// headers): the changes, then the field checks.
func writeHistoryCSV(b *bytes.Buffer, h historyJSON) error {
	b.WriteString("\uFEFF")
	w := csv.NewWriter(b)
	w.Write([]string{"类型", "序号", "操作或核查结果", "用户", "时间", "原版本", "新版本", "原值", "新值或核查意见"})
	version := func(raw json.RawMessage) string {
		var v struct {
			Version *int64 `json:"version"`
		}
		if json.Unmarshal(raw, &v) != nil || v.Version == nil {
			return ""
		}
		return strconv.FormatInt(*v.Version, 10)
	}
	for _, r := range h.Revisions {
		op := historyOps[r.Op]
		if op == "" {
			op = string(r.Op)
		}
		w.Write([]string{"变更", strconv.FormatInt(r.Seq, 10), op, r.User, r.At.Format(time.RFC3339), version(r.Old), version(r.New), string(r.Old), string(r.New)})
	}
	for _, ck := range h.Checks {
		w.Write([]string{"核查", strconv.FormatInt(ck.Seq, 10), ck.Result.Label(), ck.User, ck.At.Format(time.RFC3339), "", "", "", ck.Comment})
	}
	w.Flush()
	return w.Error()
}
