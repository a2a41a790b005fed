-- CME webhooks name the evaluation, not the application: the webhook endpoint finds the
-- application by cme_evaluation_id.
CREATE INDEX "auction_applications_cme_evaluation_id_idx" ON "auction_applications"("cme_evaluation_id");
