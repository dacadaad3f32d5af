"""The application types a Polres serves, as data: steps, fees, required documents,
validity. A site starts from these defaults (the seed copies them into the documents
schema) and a supervisor may adjust steps, fees and required documents per site.

Fees are the PNBP figures of PP 76/2020. Each step names the queue service whose
counters serve it at the site.
"""
from services.documents.domain import ApplicationType, RequiredDocument, StepDef

# --- steps ---------------------------------------------------------------------------------

REGISTRATION_SKCK = StepDef("registration", "Pendaftaran", "Registration", "SKCK")
DOCUMENT_CHECK = StepDef("document_check", "Pemeriksaan berkas", "Document check", "SKCK")
FINGERPRINTS = StepDef("fingerprints", "Pengambilan sidik jari", "Fingerprints", "SKCK",
                       skip_if="has_fingerprint_card")
RECORDS_CHECK = StepDef("records_check", "Pemeriksaan catatan kepolisian", "Police records check", "SKCK")
PAYMENT_SKCK = StepDef("payment", "Pembayaran PNBP", "Payment", "SKCK", records_payment=True)
PRINTING_SKCK = StepDef("printing", "Pencetakan SKCK", "Printing", "SKCK", issues_document=True)
COLLECTION_SKCK = StepDef("collection", "Pengambilan dokumen", "Collection", "SKCK", collection=True)

REGISTRATION_SIM = StepDef("registration", "Pendaftaran", "Registration", "SIM")
HEALTH_CHECK = StepDef("health_check", "Pemeriksaan kesehatan", "Health check", "SIM", retake_days=1)
PSYCHOLOGY_TEST = StepDef("psychology_test", "Tes psikologi", "Psychology test", "SIM", retake_days=7,
                          skip_if="psychology_certificate")
THEORY_TEST = StepDef("theory_test", "Ujian teori", "Theory test", "SIM", retake_days=14)
PRACTICAL_TEST = StepDef("practical_test", "Ujian praktik", "Practical test", "SIM", retake_days=14)
BIOMETRICS = StepDef("biometrics", "Biometrik dan foto", "Biometrics and photo", "SIM")
PAYMENT_SIM = StepDef("payment", "Pembayaran PNBP", "Payment", "SIM", records_payment=True)
PRINTING_SIM = StepDef("printing", "Pencetakan SIM", "Printing", "SIM", issues_document=True)
COLLECTION_SIM = StepDef("collection", "Pengambilan SIM", "Collection", "SIM", collection=True)


def _online_steps(service):
    return (
        StepDef("review", "Pemeriksaan berkas oleh petugas", "Review by an officer", service, hall=False,
                issues_document=True),
        StepDef("collection", "Pengambilan di PTSP atau unduh", "Collection at the hall or download", service,
                collection=True),
    )


KTP = RequiredDocument("ktp", "KTP-el (asli dan fotokopi)", "Identity card (KTP-el), original and copy")
KK = RequiredDocument("kk", "Kartu Keluarga (fotokopi)", "Family card (KK), copy")
BIRTH_CERTIFICATE = RequiredDocument("birth_certificate", "Akta kelahiran atau ijazah (fotokopi)",
                                     "Birth certificate or diploma, copy")
PHOTO = RequiredDocument("photo", "Pas foto 4x6 latar merah (6 lembar)", "Six 4x6 photos, red background")
FINGERPRINT_CARD = RequiredDocument("fingerprint_card", "Kartu sidik jari (bila punya)",
                                    "Fingerprint card (if you have one)", required=False)
OLD_SKCK = RequiredDocument("old_skck", "SKCK lama (asli)", "The previous SKCK, original")
HEALTH_CERTIFICATE = RequiredDocument("health_certificate", "Surat keterangan sehat",
                                      "Health certificate", required=False)
OLD_SIM = RequiredDocument("old_sim", "SIM lama (asli)", "The previous SIM, original")
POLICE_REPORT = RequiredDocument("police_report", "Kronologi kejadian / laporan kehilangan",
                                 "Account of the loss")
EVENT_PLAN = RequiredDocument("event_plan", "Proposal kegiatan dan surat dari penyelenggara",
                              "Event proposal and the organiser's letter")
VILLAGE_LETTER = RequiredDocument("village_letter", "Surat pengantar kelurahan/desa",
                                  "Letter from the village office")

SKCK_STEPS = (REGISTRATION_SKCK, DOCUMENT_CHECK, FINGERPRINTS, RECORDS_CHECK, PAYMENT_SKCK, PRINTING_SKCK,
              COLLECTION_SKCK)
SKCK_RENEWAL_STEPS = (REGISTRATION_SKCK, DOCUMENT_CHECK, RECORDS_CHECK, PAYMENT_SKCK, PRINTING_SKCK,
                      COLLECTION_SKCK)
SIM_NEW_STEPS = (REGISTRATION_SIM, HEALTH_CHECK, PSYCHOLOGY_TEST, THEORY_TEST, PRACTICAL_TEST, BIOMETRICS,
                 PAYMENT_SIM, PRINTING_SIM, COLLECTION_SIM)
SIM_RENEWAL_STEPS = (HEALTH_CHECK, PSYCHOLOGY_TEST, BIOMETRICS, PAYMENT_SIM, PRINTING_SIM, COLLECTION_SIM)

DEFAULT_TYPES = (
    ApplicationType("SKCK_NEW", "SKCK baru", "Police clearance (new)", 30_000, SKCK_STEPS,
                    (KTP, KK, BIRTH_CERTIFICATE, PHOTO, FINGERPRINT_CARD), validity_months=6,
                    document_prefix="SKCK"),
    ApplicationType("SKCK_RENEWAL", "Perpanjangan SKCK", "Police clearance (renewal)", 30_000,
                    SKCK_RENEWAL_STEPS, (KTP, OLD_SKCK, PHOTO), validity_months=6, document_prefix="SKCK",
                    renewal_grace_days=365),
    ApplicationType("SIM_A_NEW", "SIM A baru", "Car driving licence (new, SIM A)", 120_000, SIM_NEW_STEPS,
                    (KTP, HEALTH_CERTIFICATE), validity_months=60, document_prefix="SIM-A", minimum_age=17),
    ApplicationType("SIM_A_RENEWAL", "Perpanjangan SIM A", "Car driving licence (renewal, SIM A)", 80_000,
                    SIM_RENEWAL_STEPS, (KTP, OLD_SIM, HEALTH_CERTIFICATE), validity_months=60,
                    document_prefix="SIM-A", minimum_age=17),
    ApplicationType("SIM_C_NEW", "SIM C baru", "Motorcycle licence (new, SIM C)", 100_000, SIM_NEW_STEPS,
                    (KTP, HEALTH_CERTIFICATE), validity_months=60, document_prefix="SIM-C", minimum_age=17),
    ApplicationType("SIM_C_RENEWAL", "Perpanjangan SIM C", "Motorcycle licence (renewal, SIM C)", 75_000,
                    SIM_RENEWAL_STEPS, (KTP, OLD_SIM, HEALTH_CERTIFICATE), validity_months=60,
                    document_prefix="SIM-C", minimum_age=17),
    ApplicationType("LOST_ITEM_REPORT", "Laporan kehilangan", "Lost-item report", 0, _online_steps("LOST_ITEM"),
                    (KTP, POLICE_REPORT), validity_months=None, document_prefix="SKTLK", online=True),
    ApplicationType("CROWD_PERMIT", "Izin keramaian", "Crowd permit", 0, _online_steps("CROWD_PERMIT"),
                    (KTP, EVENT_PLAN, VILLAGE_LETTER), validity_months=None, document_prefix="SIK",
                    online=True),
)

TYPES_BY_CODE = {t.code: t for t in DEFAULT_TYPES}
