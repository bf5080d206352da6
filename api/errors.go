package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/onemap/onemap/api/ogc"
	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/codec"
	"github.com/onemap/onemap/spatial/coordfile"
	"github.com/onemap/onemap/spatial/cql2"
	"github.com/onemap/onemap/spatial/crs"
	"github.com/onemap/onemap/spatial/inputgeom"
	"github.com/onemap/onemap/spatial/overlay"
	"github.com/onemap/onemap/spatial/query"
	"github.com/onemap/onemap/tiles"
)

// apiError is an error with its HTTP status and a stable code for clients.
// Its message is written for the client; causes are logged, not shown.
type apiError struct {
	status  int
	code    string
	message string
	details any
	header  map[string]string // extra response headers (Retry-After)
}

func (e *apiError) Error() string { return e.message }

func badRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", message: msg}
}

func notFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", message: msg}
}

func forbidden(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "forbidden", message: msg}
}

// errorMapper turns an error a handler returned into the answer for its
// route group; groups differ where their protocols do (OGC API answers a
// failed precondition with 412 where /api/v1 answers 409).
type errorMapper func(c *gin.Context, err error) *apiError

// handlerFunc is a handler that returns its error for the wrapper to write.
type handlerFunc func(c *gin.Context) error

// h adapts a handler: an error it returns is written once, by writeError,
// with the group's mapping.
func (s *server) h(m errorMapper, fn handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			writeError(c, m, err)
		}
	}
}

// v1Errors is the mapping of /api/v1 (and the routes beside it): the one
// place where errors become HTTP statuses.
func v1Errors(c *gin.Context, err error) *apiError {
	var ae *apiError
	var ve *layers.ValidationError
	var ce *layers.ConflictError
	var mbe *http.MaxBytesError
	var de *codec.DecodeError
	var denied *auth.Denied
	var cred *auth.CredentialError
	var th *auth.Throttled
	var ise *inputgeom.SyntaxError
	var le *inputgeom.LimitError
	var coe *crs.CoordinateError
	var cfe *coordfile.Error
	if se := supervisionError(err); se != nil {
		return se
	}
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &denied) && denied.Unauthenticated:
		return &apiError{status: http.StatusUnauthorized, code: "unauthenticated", message: denied.Reason,
			header: map[string]string{"WWW-Authenticate": `Bearer realm="onemap"`}}
	case errors.As(err, &denied):
		return forbidden(denied.Reason)
	case errors.As(err, &cred):
		return &apiError{status: http.StatusUnauthorized, code: "bad_credentials", message: cred.Reason,
			header: map[string]string{"WWW-Authenticate": `Bearer realm="onemap", error="invalid_token"`}}
	case errors.As(err, &th):
		return &apiError{status: http.StatusTooManyRequests, code: "throttled", message: th.Error(),
			header: map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(th.RetryAfter.Seconds())))}}
	case errors.As(err, &de):
		return badRequest("body " + de.Msg)
	case errors.As(err, &ve) && ve.Layer == inputgeom.LayerName:
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_geometry", message: ve.Error(), details: ve.Problems}
	case errors.As(err, &ve):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_feature", message: ve.Error(), details: ve.Problems}
	case errors.As(err, &ise):
		return &apiError{status: http.StatusBadRequest, code: "bad_geometry", message: ise.Error()}
	case errors.As(err, &le):
		return &apiError{status: http.StatusUnprocessableEntity, code: "over_limit", message: le.Error()}
	case errors.As(err, &coe):
		return &apiError{status: http.StatusUnprocessableEntity, code: "bad_coordinate", message: coe.Error()}
	case errors.Is(err, crs.ErrUnsupported):
		return &apiError{status: http.StatusBadRequest, code: "bad_crs", message: innermost(err, crs.ErrUnsupported)}
	case errors.As(err, &cfe):
		return &apiError{status: http.StatusBadRequest, code: "bad_coordinate_file", message: cfe.Error()}
	case errors.Is(err, cql2.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: "bad_filter", message: err.Error()}
	case errors.Is(err, query.ErrBadRequest), errors.Is(err, overlay.ErrBadOption):
		return badRequest(err.Error())
	case errors.Is(err, overlay.ErrEmptySite):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_geometry", message: err.Error()}
	case errors.As(err, &ce):
		return &apiError{status: http.StatusConflict, code: "version_conflict", message: ce.Error() + "; fetch it again and retry with its ETag",
			details: gin.H{"current_version": ce.Current}}
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large",
			message: fmt.Sprintf("the request body exceeds the limit of %s", sizeText(mbe.Limit))}
	case errors.Is(err, layers.ErrNotFound):
		var nf *layers.NotFoundError
		if errors.As(err, &nf) {
			return notFound(nf.Error())
		}
		return notFound("not found")
	case errors.Is(err, tiles.ErrOverviewPending):
		return &apiError{status: http.StatusServiceUnavailable, code: "overview_pending",
			message: "this tile comes from a generalised overview that is still being built; try again shortly", header: map[string]string{"Retry-After": "5"}}
	case errors.Is(err, layers.ErrUnavailable):
		logFrom(c).Warn("store unavailable", "path", c.Request.URL.Path, "err", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "store_unavailable",
			message: "the store is unavailable; nothing was changed, try again shortly", header: map[string]string{"Retry-After": "5"}}
	case errors.Is(err, context.Canceled):
		return &apiError{status: 499, code: "canceled", message: "request canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		logFrom(c).Warn("deadline exceeded", "path", c.Request.URL.Path, "err", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "timeout", message: "the request took longer than its deadline"}
	}
	logFrom(c).Error("request failed", "path", c.Request.URL.Path, "err", err)
	return &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
}

// ogcErrors is the mapping of /ogc: a failed If-Match is 412 Precondition
// Failed (RFC 9110, as OGC API – Features Part 4 expects), a parameter the
// protocol refuses is a 400; the rest is as /api/v1 maps it.
func ogcErrors(c *gin.Context, err error) *apiError {
	var ce *layers.ConflictError
	var pe *ogc.ParamError
	switch {
	case errors.As(err, &ce):
		return &apiError{status: http.StatusPreconditionFailed, code: "precondition_failed", message: ce.Error() + "; fetch it again and retry with its ETag",
			details: gin.H{"current_version": ce.Current}}
	case errors.As(err, &pe):
		return badRequest(pe.Error())
	}
	return v1Errors(c, err)
}

// innermost is the message of the error in err's chain that wraps target
// directly: the precise one, without the chain of callers.
func innermost(err, target error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.Is(e, target) && e != target {
			msg = e.Error()
		}
	}
	return msg
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeError writes the JSON error body {"error":{"code","message","details"}}.
func writeError(c *gin.Context, m errorMapper, err error) {
	ae := m(c, err)
	for k, v := range ae.header {
		c.Header(k, v)
	}
	body := gin.H{"code": ae.code, "message": ae.message}
	if ae.details != nil {
		body["details"] = ae.details
	}
	c.AbortWithStatusJSON(ae.status, gin.H{"error": body})
}
