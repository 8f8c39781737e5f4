//! Coverage: how often each documented transaction answered since the
//! server started (the counts survive reloads). One type for the admin API
//! (`GET /__mock/coverage`) and for `MockServer::coverage`.

use serde::Serialize;

use crate::contract::Contract;

/// How much of the contract the requests so far exercised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// Documented transactions.
    pub total: usize,
    /// Transactions that answered at least once.
    pub exercised: usize,
    /// Every documented transaction, in document order.
    pub transactions: Vec<CoveredTransaction>,
    /// Those that never answered.
    pub never_exercised: Vec<CoveredTransaction>,
}

/// One documented transaction and how often it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CoveredTransaction {
    /// `Group > Resource > Action > #N`.
    pub transaction: String,
    /// The action's method.
    pub method: String,
    /// The action's URI template.
    pub uri_template: String,
    /// The documented response status.
    pub status: u16,
    /// The documented request's name.
    pub request: Option<String>,
    /// Where it is written: `file:line`.
    pub source: String,
    /// How many requests it answered.
    pub served: u64,
}

impl Coverage {
    /// The coverage of `contract` now.
    pub fn of(contract: &Contract) -> Self {
        let mut transactions = Vec::with_capacity(contract.transactions().len());
        for endpoint in contract.endpoints() {
            for &id in &endpoint.transactions {
                let tx = contract.transaction(id);
                transactions.push(CoveredTransaction {
                    transaction: tx.label.clone(),
                    method: endpoint.method.as_str().to_string(),
                    uri_template: endpoint.template.clone(),
                    status: tx.response.status.as_u16(),
                    request: tx.request_name.clone(),
                    source: format!("{}:{}", tx.source.0, tx.source.1),
                    served: tx.served(),
                });
            }
        }
        let never_exercised: Vec<CoveredTransaction> = transactions
            .iter()
            .filter(|t| t.served == 0)
            .cloned()
            .collect();
        Coverage {
            total: transactions.len(),
            exercised: transactions.len() - never_exercised.len(),
            transactions,
            never_exercised,
        }
    }
}
