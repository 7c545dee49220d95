package wire

import (
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/alerts"
)

// Batch is what an agent pushes to POST /v1/telemetry, encoded as CBOR.
type Batch struct {
	Agent string              `cbor:"1,keyasint" json:"agent"`
	Seq   uint64              `cbor:"2,keyasint" json:"seq"` // increases by one a batch, per agent run
	Polls []collectors.Status `cbor:"3,keyasint" json:"polls"`
}

// ClusterStatus answers GET /v1/cluster: what the answering node knows.
type ClusterStatus struct {
	Node         string          `json:"node"`
	State        string          `json:"state"` // Leader, Follower, Candidate, Shutdown
	Leader       string          `json:"leader,omitempty"`
	LeaderAPI    string          `json:"leader_api,omitempty"`
	Term         uint64          `json:"term"`
	CommitIndex  uint64          `json:"commit_index"`
	AppliedIndex uint64          `json:"applied_index"`
	StateIndex   uint64          `json:"state_index"` // index of the state served
	StateHash    string          `json:"state_hash"`  // SHA-256 of the state's snapshot
	Ready        string          `json:"ready"`       // "ok", or why the node cannot serve its state
	StaleSeconds *float64        `json:"stale_seconds,omitempty"`
	Members      []ClusterMember `json:"members"`
}

// ClusterMember is one node of the cluster's configuration.
type ClusterMember struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	API      string `json:"api,omitempty"`
	Voter    bool   `json:"voter"`
	Leader   bool   `json:"leader"`
}

// JoinRequest is POST /v1/cluster/join: add a node to the cluster.
type JoinRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	API      string `json:"api,omitempty"` // the node's API URL, for forwarding
	// Reads is the newest codec of command bodies the node reads
	// (state.Codec; 0 from releases before it), which the leader records
	// so as to write a codec only once every member reads it.
	Reads uint8 `json:"reads,omitempty"`
}

// AlertList is the answer of GET /v1/alerts.
type AlertList struct {
	// At is the time of the evaluation the alerts are from; zero when the
	// leader has not evaluated yet (then the firing alerts of the
	// replicated state are listed).
	At     time.Time      `json:"at"`
	Alerts []alerts.Alert `json:"alerts"`
}

// ForecastReport is the answer of GET /v1/forecast: when each rack, row and
// hall reaches its budget at the trend of its daily peaks.
type ForecastReport struct {
	// At is when the forecasts were made (the leader makes them every few
	// minutes); HistorySince when the leader began keeping the history
	// they are made from (a new leader starts afresh).
	At           time.Time `json:"at"`
	HistorySince time.Time `json:"history_since"`
	HorizonDays  int       `json:"horizon_days"`
	// Objects are the halls, then the rows, then the racks, each by ID.
	Objects []ForecastObject `json:"objects"`
}

// ForecastObject is the forecast of one rack, row or hall.
type ForecastObject struct {
	Kind string `json:"kind"` // rack, row or hall
	ID   string `json:"id"`
	Hall string `json:"hall,omitempty"`
	Row  string `json:"row,omitempty"`
	// Status is "within" (DaysToFull says when), "beyond" (not within the
	// horizon) or "unknown" (Why says why: too little history, say).
	Status      string  `json:"status"`
	DaysToFull  *int    `json:"days_to_full,omitempty"`
	BudgetWatts float64 `json:"budget_watts"`
	// PeakWatts is the forecast daily peak of the day it reaches the
	// budget, or of the horizon's last day; absent when unknown.
	PeakWatts *float64 `json:"peak_watts,omitempty"`
	// HistoryDays is how many days of the history have a daily peak.
	HistoryDays int    `json:"history_days"`
	Why         string `json:"why,omitempty"`
}

// Forecast statuses.
const (
	ForecastWithin  = "within"
	ForecastBeyond  = "beyond"
	ForecastUnknown = "unknown"
)
