//! Every word the citizen pages show, in English and Hindi.
//!
//! One typed dictionary: [`Texts`] has a field per phrase, and the `dictionary!` macro will not
//! compile an entry without both languages.  Placeholders are `{name}` and are filled with
//! [`fill`]; a test checks both languages use the same placeholders.  Error messages from
//! [`ApiError`] are translated by their CoWIN code ([`error_message`]).

use crate::error::ApiError;
use crate::services::search::Lang;

macro_rules! dictionary {
    ($($key:ident: $en:literal, $hi:literal;)*) => {
        /// The phrases of one language.
        #[derive(Debug)]
        pub(crate) struct Texts {
            $(pub(crate) $key: &'static str,)*
        }

        /// English.
        pub(crate) static EN: Texts = Texts { $($key: $en,)* };
        /// Hindi.
        pub(crate) static HI: Texts = Texts { $($key: $hi,)* };

        /// Every entry as (key, English, Hindi), for the completeness test.
        #[cfg(test)]
        pub(crate) const ENTRIES: &[(&str, &str, &str)] = &[$((stringify!($key), $en, $hi),)*];
    };
}

dictionary! {
    // Layout
    site_name: "Tika", "टीका";
    site_tagline: "COVID-19 vaccination", "कोविड-19 टीकाकरण";
    nav_home: "Find a centre", "केंद्र खोजें";
    nav_account: "My account", "मेरा खाता";
    nav_login: "Log in", "लॉग इन करें";
    nav_logout: "Log out", "लॉग आउट करें";
    other_language: "हिन्दी", "English";
    other_language_code: "hi", "en";
    skip_to_content: "Skip to content", "मुख्य सामग्री पर जाएँ";
    footer_note: "Tika is an open-source vaccination platform. Vaccination is voluntary and free at government centres.", "टीका एक ओपन-सोर्स टीकाकरण प्लेटफ़ॉर्म है। टीकाकरण स्वैच्छिक है और सरकारी केंद्रों पर निःशुल्क है।";
    // Home and search
    home_title: "Find a vaccination centre", "टीकाकरण केंद्र खोजें";
    home_intro: "Search by pincode or by district to see sessions for the next 7 days.", "अगले 7 दिनों के सत्र देखने के लिए पिनकोड या ज़िले से खोजें।";
    search_by: "Search by", "इससे खोजें";
    by_pincode: "Pincode", "पिनकोड";
    by_district: "District", "ज़िला";
    pincode: "Pincode", "पिनकोड";
    pincode_hint: "6 digits, for example 110001", "6 अंक, जैसे 110001";
    state: "State", "राज्य";
    district: "District", "ज़िला";
    choose_state: "Select state", "राज्य चुनें";
    choose_district: "Select district", "ज़िला चुनें";
    show_districts: "Show districts", "ज़िले दिखाएँ";
    date: "Date", "तारीख";
    filters: "Filters", "फ़िल्टर";
    age_group: "Age group", "आयु वर्ग";
    any: "Any", "कोई भी";
    age_18: "18 and above", "18 वर्ष और अधिक";
    age_45: "45 and above", "45 वर्ष और अधिक";
    age_12: "12 to 14 years", "12 से 14 वर्ष";
    vaccine: "Vaccine", "टीका";
    fee: "Fee", "शुल्क";
    free: "Free", "निःशुल्क";
    paid: "Paid", "सशुल्क";
    dose: "Dose", "खुराक";
    dose_1: "Dose 1", "पहली खुराक";
    dose_2: "Dose 2", "दूसरी खुराक";
    search: "Search", "खोजें";
    results_heading: "Centres with sessions from {date}: {n}", "{date} से सत्र वाले केंद्र: {n}";
    no_results: "No sessions found. Try another date, pincode or filter.", "कोई सत्र नहीं मिला। कोई और तारीख, पिनकोड या फ़िल्टर आज़माएँ।";
    invalid_pincode: "Enter a valid 6-digit pincode.", "कृपया सही 6 अंकों का पिनकोड डालें।";
    need_district: "Select a state and a district.", "कृपया राज्य और ज़िला चुनें।";
    invalid_date: "Enter a valid date.", "कृपया सही तारीख डालें।";
    open_hours: "Open {from} to {to}", "{from} से {to} तक खुला";
    per_dose: "₹{fee} per dose", "₹{fee} प्रति खुराक";
    ages_from: "Age {min}+", "आयु {min}+ वर्ष";
    ages_range: "Age {min} to {max}", "आयु {min} से {max} वर्ष";
    slots: "Time slots", "समय स्लॉट";
    book: "Book", "बुक करें";
    login_to_book: "Log in to book", "बुक करने के लिए लॉग इन करें";
    booked_out: "Booked out", "सभी सीटें भर गईं";
    more_centres: "Showing the first {n} centres. Narrow the search to see others.", "पहले {n} केंद्र दिखाए गए हैं। बाकी देखने के लिए खोज सीमित करें।";
    // Login
    login_title: "Log in with your mobile number", "अपने मोबाइल नंबर से लॉग इन करें";
    login_intro: "We will send a one-time password (OTP) to your mobile by SMS.", "हम आपके मोबाइल पर SMS से एक बार इस्तेमाल होने वाला पासवर्ड (OTP) भेजेंगे।";
    mobile: "Mobile number", "मोबाइल नंबर";
    get_otp: "Get OTP", "OTP प्राप्त करें";
    otp_sent: "OTP sent to {mobile}", "OTP {mobile} पर भेजा गया";
    otp_label: "Enter the 6-digit OTP", "6 अंकों का OTP डालें";
    otp_validity: "The OTP is valid for 3 minutes. Do not share it with anyone.", "OTP 3 मिनट तक मान्य है। इसे किसी के साथ साझा न करें।";
    verify: "Verify and log in", "सत्यापित करें और लॉग इन करें";
    resend: "Change number or send the OTP again", "नंबर बदलें या OTP दोबारा भेजें";
    // Account
    account_title: "My account", "मेरा खाता";
    registered_mobile: "Registered mobile: {mobile}", "पंजीकृत मोबाइल: {mobile}";
    members: "Members", "सदस्य";
    no_members: "No members yet. Add a member to book a vaccination.", "अभी कोई सदस्य नहीं है। टीकाकरण बुक करने के लिए सदस्य जोड़ें।";
    add_member: "Add member", "सदस्य जोड़ें";
    remaining: "You can add {n} more members (up to {max} per mobile number).", "आप {n} और सदस्य जोड़ सकते हैं (एक मोबाइल नंबर पर अधिकतम {max})।";
    limit_reached: "You have registered the maximum of {max} members for this mobile number.", "आपने इस मोबाइल नंबर पर अधिकतम {max} सदस्य पंजीकृत कर लिए हैं।";
    ref_id: "Ref ID", "संदर्भ आईडी";
    birth_year: "Year of birth", "जन्म वर्ष";
    gender: "Gender", "लिंग";
    photo_id: "Photo ID", "फ़ोटो पहचान पत्र";
    status: "Status", "स्थिति";
    status_not: "Not vaccinated", "टीका नहीं लगा";
    status_partial: "Partially vaccinated", "आंशिक रूप से टीकाकृत";
    status_full: "Fully vaccinated", "पूर्ण टीकाकृत";
    dose1_on: "Dose 1 given on", "पहली खुराक की तारीख";
    dose2_on: "Dose 2 given on", "दूसरी खुराक की तारीख";
    appointment: "Appointment", "अपॉइंटमेंट";
    security_code: "Security code", "सुरक्षा कोड";
    security_code_hint: "Show this code at the centre.", "यह कोड केंद्र पर दिखाएँ।";
    download_slip: "Download slip (PDF)", "अपॉइंटमेंट पर्ची डाउनलोड करें (PDF)";
    certificates: "Vaccination certificates", "टीकाकरण प्रमाणपत्र";
    certificate_dose: "Certificate, dose {dose} (PDF)", "प्रमाणपत्र, खुराक {dose} (PDF)";
    certificate_latest: "Latest certificate (PDF)", "नवीनतम प्रमाणपत्र (PDF)";
    certificate_pending: "Your certificate is being prepared; it appears here within a minute.", "आपका प्रमाणपत्र तैयार हो रहा है; यह एक मिनट में यहाँ दिखेगा।";
    reschedule: "Reschedule", "पुनर्निर्धारित करें";
    cancel: "Cancel", "रद्द करें";
    cancel_confirm: "Cancel this appointment?", "क्या आप यह अपॉइंटमेंट रद्द करना चाहते हैं?";
    remove_member: "Remove member", "सदस्य हटाएँ";
    remove_confirm: "Remove this member from your account?", "क्या आप इस सदस्य को अपने खाते से हटाना चाहते हैं?";
    book_appointment: "Book appointment", "अपॉइंटमेंट बुक करें";
    comorbidity: "Has a long-term illness (comorbidity)", "कोई पुरानी बीमारी (सहरुग्णता) है";
    confirm_title: "Please confirm", "कृपया पुष्टि करें";
    go_back: "Go back", "वापस जाएँ";
    // Add member
    add_member_title: "Add a member", "सदस्य जोड़ें";
    name: "Full name (as on the photo ID)", "पूरा नाम (फ़ोटो पहचान पत्र के अनुसार)";
    choose: "Select", "चुनें";
    id_type: "Photo ID type", "फ़ोटो पहचान पत्र का प्रकार";
    id_number: "Photo ID number", "फ़ोटो पहचान पत्र संख्या";
    id_number_hint: "Only the last 4 characters are kept.", "केवल अंतिम 4 अक्षर सहेजे जाते हैं।";
    // Booking
    book_title: "Book appointment", "अपॉइंटमेंट बुक करें";
    choose_slot: "Choose a time slot", "समय स्लॉट चुनें";
    choose_members: "Who is this appointment for?", "यह अपॉइंटमेंट किसके लिए है?";
    not_eligible: "Cannot book this session", "यह सत्र बुक नहीं कर सकते";
    no_eligible_members: "None of your members can book this session.", "आपका कोई भी सदस्य यह सत्र बुक नहीं कर सकता।";
    confirm_booking: "Confirm booking", "बुकिंग की पुष्टि करें";
    back_to_search: "Back to search", "खोज पर वापस जाएँ";
    // Reschedule
    reschedule_title: "Reschedule appointment", "अपॉइंटमेंट पुनर्निर्धारित करें";
    current_appointment: "Current appointment", "मौजूदा अपॉइंटमेंट";
    new_session: "Choose a new session", "नया सत्र चुनें";
    same_vaccine_note: "Only sessions with the same vaccine ({vaccine}) and free seats are shown.", "केवल उसी टीके ({vaccine}) और खाली सीटों वाले सत्र दिखाए गए हैं।";
    reschedule_here: "Reschedule to this session", "इस सत्र में पुनर्निर्धारित करें";
    current_session: "Current session", "मौजूदा सत्र";
    // Flash messages
    flash_booked: "Appointment booked. Security code: {code}", "अपॉइंटमेंट बुक हो गया। सुरक्षा कोड: {code}";
    flash_rescheduled: "Appointment rescheduled.", "अपॉइंटमेंट पुनर्निर्धारित हो गया।";
    flash_cancelled: "Appointment cancelled.", "अपॉइंटमेंट रद्द कर दिया गया।";
    flash_member_added: "Member added. Reference ID: {ref}", "सदस्य जोड़ दिया गया। संदर्भ आईडी: {ref}";
    flash_member_removed: "Member removed.", "सदस्य हटा दिया गया।";
    flash_correction_requested: "Correction requested. An official will review it; your certificate is re-issued once it is approved.", "सुधार का अनुरोध भेज दिया गया। अधिकारी इसकी जाँच करेंगे; स्वीकृति के बाद आपका प्रमाणपत्र फिर से जारी होगा।";
    correct_details: "Correct details on the certificate", "प्रमाणपत्र में विवरण सुधारें";
    correction_field: "What is wrong", "क्या गलत है";
    correction_value: "Correct value", "सही विवरण";
    correction_reason: "Why (for example: spelling differs from my passport)", "कारण (जैसे: पासपोर्ट से वर्तनी अलग है)";
    correction_submit: "Request correction", "सुधार का अनुरोध करें";
    correction_once: "Each detail can be corrected once.", "प्रत्येक विवरण केवल एक बार सुधारा जा सकता है।";
    corrections: "Correction requests", "सुधार के अनुरोध";
    correction_pending: "pending", "लंबित";
    correction_approved: "approved", "स्वीकृत";
    correction_rejected: "rejected", "अस्वीकृत";
    flash_logged_in: "You are logged in.", "आप लॉग इन हो गए हैं।";
    flash_logged_out: "You have been logged out.", "आप लॉग आउट हो गए हैं।";
    // Errors
    error_heading: "There is a problem", "कुछ समस्या है";
    err_400: "Please check and try again", "कृपया जाँचें और फिर से प्रयास करें";
    err_401: "Please log in again", "कृपया फिर से लॉग इन करें";
    err_403: "This form has expired", "यह फ़ॉर्म पुराना हो गया है";
    err_404: "Page not found", "पेज नहीं मिला";
    err_409: "This could not be done", "यह काम पूरा नहीं हो सका";
    err_429: "Too many requests", "बहुत अधिक अनुरोध";
    err_5xx: "Something went wrong", "कुछ गलत हो गया";
    error_code: "Error code", "त्रुटि कोड";
    csrf_failed: "This form has expired. Please open the page again and retry.", "यह फ़ॉर्म पुराना हो गया है। कृपया पेज दोबारा खोलकर फिर से प्रयास करें।";
    // Officials' console: layout and login
    con_name: "Officials' console", "अधिकारी कंसोल";
    con_nav_home: "Console home", "कंसोल होम";
    con_nav_facilities: "Facilities", "केंद्र";
    con_nav_admins: "Officials", "अधिकारी";
    con_nav_audit: "Audit log", "ऑडिट लॉग";
    con_nav_password: "Change password", "पासवर्ड बदलें";
    con_footer: "For programme officials only. Every change is recorded in the audit log.", "केवल कार्यक्रम अधिकारियों के लिए। हर बदलाव ऑडिट लॉग में दर्ज होता है।";
    con_login_title: "Log in to the officials' console", "अधिकारी कंसोल में लॉग इन करें";
    con_login_intro: "For officials of the vaccination programme. Citizens book on the main site.", "टीकाकरण कार्यक्रम के अधिकारियों के लिए। नागरिक मुख्य साइट पर बुकिंग करें।";
    con_username: "Username", "उपयोगकर्ता नाम";
    con_password: "Password", "पासवर्ड";
    con_login_button: "Log in", "लॉग इन करें";
    con_login_failed: "Wrong username or password.", "उपयोगकर्ता नाम या पासवर्ड गलत है।";
    con_otp_or: "No password at hand? Get a one-time login code by SMS on the mobile number registered for your login.", "पासवर्ड पास नहीं है? अपने लॉग इन के लिए दर्ज मोबाइल नंबर पर SMS से एक बार का लॉग इन कोड पाएँ।";
    con_otp_send: "Send login code", "लॉग इन कोड भेजें";
    con_otp_title: "Enter the login code", "लॉग इन कोड डालें";
    con_otp_sent: "A 6-digit code was sent by SMS to the mobile registered for {username}. It is valid for a few minutes and works once.", "{username} के लिए दर्ज मोबाइल पर SMS से 6 अंकों का कोड भेजा गया है। यह कुछ मिनट तक मान्य है और एक ही बार काम करता है।";
    con_otp_code: "Login code", "लॉग इन कोड";
    con_otp_failed: "The code was not accepted.", "कोड स्वीकार नहीं हुआ।";
    con_otp_refused: "No login code can be sent for this username. Log in with the password.", "इस उपयोगकर्ता नाम के लिए लॉग इन कोड नहीं भेजा जा सकता। पासवर्ड से लॉग इन करें।";
    con_locked: "Too many wrong passwords. This login is locked for a while; try again later.", "बहुत अधिक गलत पासवर्ड। यह लॉग इन कुछ समय के लिए बंद है; बाद में फिर से प्रयास करें।";
    con_logged_in_as: "Logged in as {name} ({username})", "{name} ({username}) के रूप में लॉग इन";
    con_login_until: "This login ends at {time} at the latest.", "यह लॉग इन अधिकतम {time} तक मान्य है।";
    // Console home and areas
    con_home_title: "Console", "कंसोल";
    con_home_intro: "You see and change only what lies inside your area.", "आप केवल अपने क्षेत्र के भीतर की जानकारी देख और बदल सकते हैं।";
    con_your_area: "Your area", "आपका क्षेत्र";
    con_level: "Level", "स्तर";
    con_area: "Area", "क्षेत्र";
    con_level_national: "National", "राष्ट्रीय";
    con_level_state: "State", "राज्य";
    con_level_district: "District", "ज़िला";
    con_level_block: "Block", "ब्लॉक";
    con_level_facility: "Facility", "केंद्र";
    con_area_national: "The whole country", "पूरा देश";
    con_home_facilities: "Facilities, their staff and sessions", "केंद्र, उनके कर्मचारी और सत्र";
    con_home_admins: "Officials of your area", "आपके क्षेत्र के अधिकारी";
    con_home_audit: "Who changed what, and when", "किसने क्या और कब बदला";
    con_my_facility: "My facility", "मेरा केंद्र";
    // Facilities
    con_facilities_title: "Facilities", "केंद्र";
    con_search_label: "Name or pincode", "नाम या पिनकोड";
    con_all: "All", "सभी";
    con_active: "Active", "सक्रिय";
    con_inactive: "Inactive", "निष्क्रिय";
    con_new_facility: "New facility", "नया केंद्र";
    con_no_facilities: "No facilities found.", "कोई केंद्र नहीं मिला।";
    con_next_page: "Next page", "अगला पेज";
    con_prev_page: "Previous page", "पिछला पेज";
    con_page_n: "Page {n}", "पेज {n}";
    con_id: "ID", "आईडी";
    con_name_label: "Name", "नाम";
    con_name_l: "Name in the local language (optional)", "स्थानीय भाषा में नाम (वैकल्पिक)";
    con_kind: "Type", "प्रकार";
    con_government: "Government", "सरकारी";
    con_private: "Private", "निजी";
    con_address: "Address", "पता";
    con_block: "Block", "ब्लॉक";
    con_location: "Location (optional)", "स्थान (वैकल्पिक)";
    con_lat: "Latitude", "अक्षांश";
    con_lon: "Longitude", "देशांतर";
    con_location_hint: "Leave both empty to use the pincode's location.", "पिनकोड का स्थान इस्तेमाल करने के लिए दोनों खाली छोड़ें।";
    con_hours: "Opening hours", "खुलने का समय";
    con_open: "Opens at", "खुलने का समय";
    con_close: "Closes at", "बंद होने का समय";
    con_fees: "Fee per vaccine (₹, private facilities)", "प्रति टीका शुल्क (₹, निजी केंद्र)";
    con_fees_hint: "Government facilities are free: leave the fees empty.", "सरकारी केंद्र निःशुल्क हैं: शुल्क खाली छोड़ें।";
    con_cold_chain: "Cold chain point", "कोल्ड चेन पॉइंट";
    con_create_facility: "Create facility", "केंद्र बनाएँ";
    con_new_facility_title: "New facility", "नया केंद्र";
    con_save: "Save changes", "बदलाव सहेजें";
    con_fix_errors: "Please correct the fields marked below.", "कृपया नीचे चिह्नित फ़ील्ड ठीक करें।";
    con_details: "Details", "विवरण";
    con_edit_facility: "Edit details", "विवरण बदलें";
    con_deactivate: "Deactivate", "निष्क्रिय करें";
    con_activate: "Activate", "सक्रिय करें";
    con_deactivate_facility_confirm: "Deactivate this facility? No new sessions can be planned there.", "क्या यह केंद्र निष्क्रिय करना है? वहाँ नए सत्र नहीं बनाए जा सकेंगे।";
    con_facility_inactive: "This facility is inactive.", "यह केंद्र निष्क्रिय है।";
    con_bad_number: "must be a number", "कोई संख्या होनी चाहिए";
    // Staff
    con_staff: "Staff", "कर्मचारी";
    con_add_staff: "Add staff member", "कर्मचारी जोड़ें";
    con_role: "Role", "भूमिका";
    con_role_vaccinator: "Vaccinator", "टीकाकर्मी";
    con_role_facility_admin: "Facility admin", "केंद्र प्रशासक";
    con_mobile_optional: "Mobile number (optional)", "मोबाइल नंबर (वैकल्पिक)";
    con_initial_password: "Password (at least 10 characters, a letter and a digit)", "पासवर्ड (कम से कम 10 अक्षर, एक अक्षर और एक अंक)";
    con_no_staff: "No staff yet.", "अभी कोई कर्मचारी नहीं है।";
    con_deactivate_staff_confirm: "Deactivate this staff member? They can no longer log in.", "क्या इस कर्मचारी को निष्क्रिय करना है? वे लॉग इन नहीं कर पाएँगे।";
    // Sessions
    con_sessions_4w: "Sessions in the next 4 weeks", "अगले 4 सप्ताह के सत्र";
    con_plan_sessions: "Plan sessions", "सत्र की योजना बनाएँ";
    con_no_sessions: "No sessions in the next 4 weeks.", "अगले 4 सप्ताह में कोई सत्र नहीं है।";
    con_booked_of: "{booked} of {capacity} booked", "{capacity} में से {booked} बुक";
    con_walk_ins: "Walk-ins allowed", "बिना बुकिंग आने वालों को अनुमति";
    con_yes: "Yes", "हाँ";
    con_no: "No", "नहीं";
    con_cancelled: "Cancelled", "रद्द";
    con_edit_capacity: "Change seats", "सीटें बदलें";
    con_capacity_dose1: "Seats, dose 1", "सीटें, पहली खुराक";
    con_capacity_dose2: "Seats, dose 2", "सीटें, दूसरी खुराक";
    con_cancel_session: "Cancel session", "सत्र रद्द करें";
    con_move_session: "Move to another date", "दूसरी तारीख पर ले जाएँ";
    con_new_date: "New date", "नई तारीख";
    con_reason: "Reason (sent to the people booked)", "कारण (बुक किए गए लोगों को भेजा जाएगा)";
    con_sms_note: "People booked are told by SMS automatically.", "बुक किए गए लोगों को अपने आप SMS से सूचना दी जाती है।";
    con_cancel_session_confirm: "Cancel this session? Everyone booked will be told by SMS.", "क्या यह सत्र रद्द करना है? सभी बुक किए गए लोगों को SMS से बताया जाएगा।";
    con_slots_n: "{n} time slots", "{n} समय स्लॉट";
    // Session plan
    con_plan_title: "Plan sessions", "सत्र की योजना बनाएँ";
    con_plan_intro: "One session on each chosen weekday from the first to the last date (at most 8 weeks). Dates that already have a session of the vaccine are skipped.", "पहली से अंतिम तारीख तक हर चुने गए दिन एक सत्र (अधिकतम 8 सप्ताह)। जिन तारीखों पर इस टीके का सत्र पहले से है, वे छोड़ दी जाती हैं।";
    con_first_date: "First date", "पहली तारीख";
    con_last_date: "Last date", "अंतिम तारीख";
    con_weekdays: "On these weekdays", "इन दिनों पर";
    con_weekdays_hint: "Choosing none means every day.", "कोई दिन न चुनने पर हर दिन सत्र होगा।";
    con_min_age: "Youngest age", "न्यूनतम आयु";
    con_max_age: "Oldest age (optional)", "अधिकतम आयु (वैकल्पिक)";
    con_slots: "Number of time slots", "समय स्लॉट की संख्या";
    con_create_sessions: "Create sessions", "सत्र बनाएँ";
    con_plan_created: "Sessions created: {n}", "बनाए गए सत्र: {n}";
    con_plan_skipped: "Dates skipped (a session of this vaccine already exists): {n}", "छोड़ी गई तारीखें (इस टीके का सत्र पहले से है): {n}";
    con_back_to_facility: "Back to the facility", "केंद्र पर वापस जाएँ";
    // Officials
    con_admins_title: "Officials", "अधिकारी";
    con_create_admin: "Create official", "अधिकारी बनाएँ";
    con_new_admin: "New official", "नया अधिकारी";
    con_no_admins: "No officials found.", "कोई अधिकारी नहीं मिला।";
    con_state_optional: "State (state, district and block level)", "राज्य (राज्य, ज़िला और ब्लॉक स्तर)";
    con_district_optional: "District (district and block level)", "ज़िला (ज़िला और ब्लॉक स्तर)";
    con_block_optional: "Block name (block level)", "ब्लॉक का नाम (ब्लॉक स्तर)";
    con_facility_id_optional: "Facility ID (facility level)", "केंद्र आईडी (केंद्र स्तर)";
    con_none: "None", "कोई नहीं";
    con_deactivate_admin_confirm: "Deactivate this official? They can no longer log in.", "क्या इस अधिकारी को निष्क्रिय करना है? वे लॉग इन नहीं कर पाएँगे।";
    con_you: "you", "आप";
    // Audit log
    con_audit_title: "Audit log", "ऑडिट लॉग";
    con_time: "Time", "समय";
    con_actor: "Who", "किसने";
    con_action: "Action", "कार्य";
    con_action_prefix: "Action (starts with, e.g. facility.)", "कार्य (शुरुआत, जैसे facility.)";
    con_subject: "Subject", "विषय";
    con_changes: "Changes", "बदलाव";
    con_filter: "Filter", "फ़िल्टर करें";
    con_clear_filters: "Clear filters", "फ़िल्टर हटाएँ";
    con_older: "Older entries", "पुरानी प्रविष्टियाँ";
    con_newest: "Newest entries", "नवीनतम प्रविष्टियाँ";
    con_no_changes: "No entries.", "कोई प्रविष्टि नहीं।";
    con_removed: "removed", "हटाया गया";
    // Password
    con_password_title: "Change password", "पासवर्ड बदलें";
    con_current_password: "Current password", "मौजूदा पासवर्ड";
    con_new_password: "New password (at least 10 characters, a letter and a digit)", "नया पासवर्ड (कम से कम 10 अक्षर, एक अक्षर और एक अंक)";
    con_repeat_password: "New password again", "नया पासवर्ड दोबारा";
    con_passwords_differ: "The new passwords do not match.", "नए पासवर्ड मेल नहीं खाते।";
    // Console flash messages
    con_flash_logged_in: "Welcome. You are logged in to the console.", "स्वागत है। आप कंसोल में लॉग इन हो गए हैं।";
    con_flash_logged_out: "You have been logged out of the console.", "आप कंसोल से लॉग आउट हो गए हैं।";
    con_flash_password: "Password changed. Please log in with the new password.", "पासवर्ड बदल गया। कृपया नए पासवर्ड से लॉग इन करें।";
    con_flash_facility_created: "Facility created.", "केंद्र बनाया गया।";
    con_flash_facility_saved: "Facility details saved.", "केंद्र का विवरण सहेजा गया।";
    con_flash_facility_activated: "Facility activated.", "केंद्र सक्रिय किया गया।";
    con_flash_facility_deactivated: "Facility deactivated.", "केंद्र निष्क्रिय किया गया।";
    con_flash_staff_added: "Staff member added.", "कर्मचारी जोड़ा गया।";
    con_flash_staff_changed: "Staff member updated.", "कर्मचारी की जानकारी अपडेट की गई।";
    con_flash_session_saved: "Session updated.", "सत्र अपडेट किया गया।";
    con_flash_session_cancelled: "Session cancelled; {n} people booked will be told by SMS.", "सत्र रद्द किया गया; बुक किए गए {n} लोगों को SMS से बताया जाएगा।";
    con_flash_session_moved: "Session moved; {n} people booked will be told by SMS.", "सत्र की तारीख बदली गई; बुक किए गए {n} लोगों को SMS से बताया जाएगा।";
    con_flash_admin_created: "Official created.", "अधिकारी बनाया गया।";
    con_flash_admin_changed: "Official updated.", "अधिकारी की जानकारी अपडेट की गई।";
    con_nav_people: "People lists", "लोगों की सूचियाँ";
    con_nav_issues: "Issues raised", "उठाए गए मुद्दे";
    con_nav_draws: "Lucky draw", "लकी ड्रॉ";
    con_nav_policy: "Campaign policy", "अभियान नीति";
    con_nav_surveys: "Surveys", "सर्वेक्षण";
    con_nav_messages: "SMS delivery", "SMS डिलीवरी";
    con_msg_title: "SMS delivery", "SMS डिलीवरी";
    con_msg_intro: "Every SMS Tika sends is counted here by the district of the session it is about and by the gateway that took it. A low delivered share means people may not have been told: use the call list of the session.", "टीका द्वारा भेजा गया हर SMS यहाँ उस सत्र के ज़िले और उसे ले जाने वाले गेटवे के अनुसार गिना जाता है। कम डिलीवरी का अर्थ है कि लोगों को शायद सूचना नहीं मिली: सत्र की कॉल सूची का उपयोग करें।";
    con_msg_period: "Period", "अवधि";
    con_msg_day1: "Last 24 hours", "पिछले 24 घंटे";
    con_msg_day7: "Last 7 days", "पिछले 7 दिन";
    con_msg_day30: "Last 30 days", "पिछले 30 दिन";
    con_msg_none: "No messages in this period.", "इस अवधि में कोई संदेश नहीं।";
    con_msg_gateway: "Gateway", "गेटवे";
    con_msg_all: "All", "कुल";
    con_msg_pending: "Waiting", "प्रतीक्षा में";
    con_msg_sent: "Sent", "भेजे गए";
    con_msg_delivered: "Delivered", "पहुँचे";
    con_msg_failed: "Failed", "विफल";
    con_msg_expired: "Expired", "समाप्त";
    con_msg_rate: "Delivered share", "डिलीवरी दर";
    con_msg_total: "All districts", "सभी ज़िले";
    con_msg_no_session: "Not about a session (OTP, registration)", "किसी सत्र से संबंधित नहीं (OTP, पंजीकरण)";
    con_msg_no_gateway: "Not handed over yet", "अभी भेजा नहीं गया";
    // @bulk phrases (helper A adds its phrases directly below this line)
    con_ppl_title: "People lists", "लोगों की सूचियाँ";
    con_ppl_intro: "Upload a list of people (health workers, frontline workers) as CSV or XLSX. Every row is checked; good rows are stored, bad rows are listed in an error report. Uploading the same file again changes nothing.", "लोगों की सूची (स्वास्थ्य कर्मी, अग्रिम पंक्ति कर्मी) CSV या XLSX में अपलोड करें। हर पंक्ति जाँची जाती है; सही पंक्तियाँ सहेजी जाती हैं, गलत पंक्तियाँ त्रुटि रिपोर्ट में दी जाती हैं। वही फ़ाइल दोबारा अपलोड करने से कुछ नहीं बदलता।";
    con_ppl_sample: "Download a sample file with the columns", "कॉलम वाली नमूना फ़ाइल डाउनलोड करें";
    con_ppl_file: "File (CSV or XLSX, at most 100 MB)", "फ़ाइल (CSV या XLSX, अधिकतम 100 MB)";
    con_ppl_upload: "Upload and import", "अपलोड और आयात करें";
    con_ppl_uploads: "Uploads", "अपलोड";
    con_ppl_none: "No uploads yet.", "अभी तक कोई अपलोड नहीं।";
    con_ppl_started: "Started", "शुरू";
    con_ppl_status: "Status", "स्थिति";
    con_ppl_rows: "Rows", "पंक्तियाँ";
    con_ppl_new: "New", "नए";
    con_ppl_updated: "Updated", "अद्यतन";
    con_ppl_unchanged: "Unchanged", "अपरिवर्तित";
    con_ppl_failed: "Failed", "विफल";
    con_ppl_running: "Running", "चल रहा है";
    con_ppl_done: "Done", "पूरा";
    con_ppl_stopped: "Stopped", "रुका";
    con_ppl_listed: "Listed people in your area: {n}", "आपके क्षेत्र में सूचीबद्ध लोग: {n}";
    con_ppl_latest: "Latest listed people", "हाल में सूचीबद्ध लोग";
    con_ppl_occupation: "Occupation", "व्यवसाय";
    con_ppl_employer: "Employer", "नियोक्ता";
    con_ppl_pincode: "Pincode", "पिनकोड";
    con_ppl_job_title: "Upload {file}", "अपलोड {file}";
    con_ppl_progress: "{done} of {total} rows", "{total} में से {done} पंक्तियाँ";
    con_ppl_report: "Download the error report (CSV)", "त्रुटि रिपोर्ट डाउनलोड करें (CSV)";
    con_ppl_back: "Back to the uploads", "अपलोड पर वापस जाएँ";
    con_ppl_refresh: "This page updates itself while the import runs.", "आयात चलते समय यह पेज अपने आप अपडेट होता है।";
    // @assign phrases (helper B adds its phrases directly below this line)
    con_nav_assign: "Assignment", "आवंटन";
    con_as_title: "Assign listed people to sessions", "सूचीबद्ध लोगों को सत्रों में आवंटित करें";
    con_as_intro: "Everyone listed in your area who is not yet booked gets, in priority order (health workers, then frontline workers, then others; older first), the nearest facility with a free seat from their posting or home pincode. They are booked and told by SMS. A dry run shows the result without booking anyone.", "आपके क्षेत्र में सूचीबद्ध हर व्यक्ति जिसकी बुकिंग अभी नहीं हुई है, प्राथमिकता क्रम में (पहले स्वास्थ्यकर्मी, फिर अग्रिम पंक्ति कार्यकर्ता, फिर अन्य; अधिक उम्र वाले पहले) अपने कार्यस्थल या घर के पिनकोड से सबसे नज़दीकी खाली सीट वाला केंद्र पाता है। उनकी बुकिंग होती है और SMS से सूचना जाती है। ट्रायल रन बिना बुकिंग किए परिणाम दिखाता है।";
    con_as_basis: "Measure distance from", "दूरी कहाँ से मापें";
    con_as_posting: "posting pincode (else home)", "कार्यस्थल का पिनकोड (न हो तो घर)";
    con_as_home: "home pincode (else posting)", "घर का पिनकोड (न हो तो कार्यस्थल)";
    con_as_from: "Sessions from", "सत्र इस तारीख से";
    con_as_until: "Sessions until", "सत्र इस तारीख तक";
    con_as_max_km: "At most (km)", "अधिकतम (किमी)";
    con_as_dry_run: "Dry run: show the result, book nobody", "ट्रायल रन: परिणाम दिखाएँ, किसी की बुकिंग न करें";
    con_as_start: "Start the assignment", "आवंटन शुरू करें";
    con_as_runs: "Latest runs", "हाल के रन";
    con_as_no_runs: "No assignment has been run in your area yet.", "आपके क्षेत्र में अभी तक कोई आवंटन नहीं चलाया गया है।";
    con_as_status: "Status", "स्थिति";
    con_as_what: "What", "क्या";
    con_as_people: "People", "लोग";
    con_as_processed: "Processed", "संसाधित";
    con_as_assigned: "Assigned", "आवंटित";
    con_as_unassigned: "Left out", "छूटे हुए";
    con_as_running: "Running", "चल रहा है";
    con_as_done: "Finished", "पूरा हुआ";
    con_as_failed: "Stopped on an error", "त्रुटि के कारण रुका";
    con_as_dry: "dry run", "ट्रायल रन";
    con_as_options: "{place}: from the {basis}, sessions {from} to {until}, within {km} km, vaccine: {vaccine}", "{place}: {basis} से, सत्र {from} से {until} तक, {km} किमी के भीतर, टीका: {vaccine}";
    con_as_run_title: "Assignment run", "आवंटन रन";
    con_as_refresh: "Refresh", "ताज़ा करें";
    con_as_csv: "Download the whole run (CSV)", "पूरा रन डाउनलोड करें (CSV)";
    con_as_who: "Who went where, and why", "कौन कहाँ गया, और क्यों";
    con_as_reason: "Reason", "कारण";
    con_as_no_people: "Nobody here (yet).", "यहाँ (अभी) कोई नहीं।";
    con_as_reference: "Reference id", "संदर्भ आईडी";
    con_as_facility: "Facility", "केंद्र";
    con_as_slot: "Slot", "समय";
    con_as_more: "More", "और देखें";
    con_as_r_assigned: "Assigned", "आवंटित";
    con_as_r_already_booked: "Already booked or vaccinated", "पहले से बुक या टीकाकृत";
    con_as_r_no_centroid: "The pincode has no known location", "पिनकोड का स्थान ज्ञात नहीं";
    con_as_r_nothing_within: "No fitting session within the distance", "दूरी के भीतर कोई उपयुक्त सत्र नहीं";
    con_as_r_all_full: "Every fitting session nearby is full", "आसपास के सभी उपयुक्त सत्र भरे हैं";
    con_as_r_age: "Too young for every session nearby", "आसपास के सभी सत्रों के लिए उम्र कम";
    con_as_r_filled: "The session filled up meanwhile", "इस बीच सत्र भर गया";
    con_as_r_not_eligible: "No priority group of the campaign policy is open for this person yet", "अभियान नीति का कोई प्राथमिकता समूह इस व्यक्ति के लिए अभी खुला नहीं";
    con_as_x_assigned: "Nearest facility with a fitting free seat, {km} km away; {nearer} nearer facilities had none.", "उपयुक्त खाली सीट वाला सबसे नज़दीकी केंद्र, {km} किमी दूर; {nearer} नज़दीकी केंद्रों में सीट नहीं थी।";
    con_as_x_full: "{nearer} facilities within reach had no fitting free seat.", "पहुँच के भीतर {nearer} केंद्रों में कोई उपयुक्त खाली सीट नहीं थी।";
    // @policy phrases (helper C adds its phrases directly below this line)
    con_pol_title: "Campaign policy", "अभियान नीति";
    con_pol_intro: "Who may be vaccinated when: priority groups open on their dates; a version takes effect from its date and never changes afterwards.", "किसे कब टीका लग सकता है: प्राथमिकता समूह अपनी तारीख से खुलते हैं; हर संस्करण अपनी तारीख से लागू होता है और बाद में नहीं बदलता।";
    con_pol_versions: "Versions", "संस्करण";
    con_pol_version: "Version", "संस्करण";
    con_pol_effective: "In force from", "लागू होने की तारीख";
    con_pol_min_age: "Minimum age", "न्यूनतम आयु";
    con_pol_groups: "Priority groups", "प्राथमिकता समूह";
    con_pol_groups_n: "{n} groups", "{n} समूह";
    con_pol_open_to_all: "Open to everyone from the minimum age", "न्यूनतम आयु से सभी के लिए खुला";
    con_pol_source: "Source", "स्रोत";
    con_pol_source_pack: "Country pack", "देश पैक";
    con_pol_source_console: "Console", "कंसोल";
    con_pol_in_force: "In force today", "आज लागू";
    con_pol_upcoming: "Upcoming", "आगामी";
    con_pol_past: "Past", "पुराना";
    con_pol_code: "Code", "कोड";
    con_pol_name_en: "Name (English)", "नाम (अंग्रेज़ी)";
    con_pol_name_hi: "Name (Hindi)", "नाम (हिन्दी)";
    con_pol_rank: "Rank", "क्रम";
    con_pol_opens: "Opens on", "खुलने की तारीख";
    con_pol_occupations: "Occupations", "पेशे";
    con_pol_any: "Anyone", "कोई भी";
    con_pol_ages: "Ages", "आयु";
    con_pol_age_on: "Age counted on", "आयु की गणना की तारीख";
    con_pol_comorbidity: "Comorbidity required", "सहरुग्णता आवश्यक";
    con_pol_intervals: "Dose intervals (days)", "खुराकों के बीच अंतराल (दिन)";
    con_pol_interval_hint: "Leave both empty to keep the vaccine catalogue's interval.", "टीका सूची का अंतराल रखने के लिए दोनों खाली छोड़ें।";
    con_pol_min_days: "Minimum days", "न्यूनतम दिन";
    con_pol_max_days: "Maximum days", "अधिकतम दिन";
    con_pol_catalogue: "catalogue: {min}–{max}", "सूची: {min}–{max}";
    con_pol_new: "Next version", "अगला संस्करण";
    con_pol_new_intro: "Starts from the version in force today. The date must be tomorrow or later: a policy is never changed retroactively. Leave a group's code empty to remove it.", "आज लागू संस्करण से शुरू होता है। तारीख कल या उसके बाद की होनी चाहिए: नीति कभी पिछली तारीख से नहीं बदली जाती। किसी समूह को हटाने के लिए उसका कोड खाली छोड़ें।";
    con_pol_note: "Reason for the change", "बदलाव का कारण";
    con_pol_create: "Add version", "संस्करण जोड़ें";
    con_pol_created: "Version {version} added; it takes effect on {date}.", "संस्करण {version} जोड़ा गया; यह {date} से लागू होगा।";
    con_pol_only_national: "Only national officials can add a version.", "केवल राष्ट्रीय अधिकारी संस्करण जोड़ सकते हैं।";
    con_pol_back: "All versions", "सभी संस्करण";
    con_pol_based_on: "Based on {version}", "{version} पर आधारित";
    con_pol_occ_health_worker: "Health care worker", "स्वास्थ्य कर्मी";
    con_pol_occ_frontline_worker: "Frontline worker", "अग्रिम पंक्ति कर्मी";
    con_pol_occ_other: "Other", "अन्य";
    con_sur_title: "Surveys of comorbidities", "सहरुग्णता सर्वेक्षण";
    con_sur_intro: "Record the long-term illnesses of people of your area, so they are prioritised. Find a person by the 14-digit reference id on their slip.", "अपने क्षेत्र के लोगों की पुरानी बीमारियाँ दर्ज करें, ताकि उन्हें प्राथमिकता मिले। पर्ची पर दी गई 14 अंकों की संदर्भ आईडी से व्यक्ति खोजें।";
    con_sur_reference: "Reference id", "संदर्भ आईडी";
    con_sur_find: "Find", "खोजें";
    con_sur_not_found: "No person with this reference id in your area.", "आपके क्षेत्र में इस संदर्भ आईडी का कोई व्यक्ति नहीं है।";
    con_sur_person: "Person {reference}, born {year}", "व्यक्ति {reference}, जन्म वर्ष {year}";
    con_sur_groups: "Priority groups today: {groups}", "आज के प्राथमिकता समूह: {groups}";
    con_sur_conditions: "Conditions found", "पाई गई बीमारियाँ";
    con_sur_none_hint: "Tick none if the person has no such condition.", "यदि व्यक्ति को ऐसी कोई बीमारी नहीं है तो कुछ न चुनें।";
    con_sur_notes: "Notes", "टिप्पणी";
    con_sur_surveyor: "Surveyor's name", "सर्वेक्षक का नाम";
    con_sur_record: "Record survey", "सर्वेक्षण दर्ज करें";
    con_sur_recorded: "Survey recorded for {reference}.", "{reference} का सर्वेक्षण दर्ज किया गया।";
    con_sur_upload: "Upload a CSV file", "CSV फ़ाइल अपलोड करें";
    con_sur_upload_hint: "Columns reference_id,comorbidities,notes; several conditions separated by ; using the codes below. One bad row and nothing is recorded.", "कॉलम reference_id,comorbidities,notes; कई बीमारियाँ ; से अलग करें, नीचे दिए कोड से। एक भी गलत पंक्ति हो तो कुछ भी दर्ज नहीं होता।";
    con_sur_file: "CSV file", "CSV फ़ाइल";
    con_sur_send: "Upload", "अपलोड करें";
    con_sur_uploaded: "{n} surveys recorded ({c} with a condition).", "{n} सर्वेक्षण दर्ज किए गए ({c} में कोई बीमारी)।";
    con_sur_upload_failed: "Nothing was recorded. Fix these rows and upload again:", "कुछ भी दर्ज नहीं हुआ। इन पंक्तियों को ठीक करके फिर अपलोड करें:";
    con_sur_codes: "Condition codes", "बीमारियों के कोड";
    con_sur_recent: "Recent surveys", "हाल के सर्वेक्षण";
    con_sur_none: "No surveys yet.", "अभी कोई सर्वेक्षण नहीं।";
    con_sur_count: "{n} conditions", "{n} बीमारियाँ";
    // @followup phrases (helper D adds its phrases directly below this line)
    con_fu_issues_title: "Issues raised", "उठाए गए मुद्दे";
    con_fu_issues_intro: "Citizens' correction requests and sync conflicts from vaccination sites in your area. Open items first, oldest first.", "आपके क्षेत्र में नागरिकों के सुधार अनुरोध और टीकाकरण स्थलों के सिंक विवाद। खुले मामले पहले, सबसे पुराने पहले।";
    con_fu_kind: "Kind", "प्रकार";
    con_fu_correction: "Correction request", "सुधार अनुरोध";
    con_fu_sync_conflict: "Sync conflict", "सिंक विवाद";
    con_fu_open: "Open", "खुला";
    con_fu_decided: "Decided", "निर्णय हो चुका";
    con_fu_approved: "Approved", "स्वीकृत";
    con_fu_rejected: "Rejected", "अस्वीकृत";
    con_fu_accepted: "Accepted (dose recorded)", "स्वीकार (खुराक दर्ज)";
    con_fu_discarded: "Discarded", "रद्द किया गया";
    con_fu_no_issues: "No issues match.", "कोई मामला नहीं मिला।";
    con_fu_filed: "Filed", "दर्ज किया गया";
    con_fu_what: "About", "विषय";
    con_fu_facility: "Facility", "केंद्र";
    con_fu_ref_id: "Reference ID", "संदर्भ आईडी";
    con_fu_field_name: "Name", "नाम";
    con_fu_field_birth_year: "Birth year", "जन्म वर्ष";
    con_fu_field_gender: "Gender", "लिंग";
    con_fu_field_photo_id: "Photo ID (last 4)", "फ़ोटो पहचान पत्र (अंतिम 4)";
    con_fu_old_value: "Now", "अभी";
    con_fu_new_value: "Asked for", "माँगा गया";
    con_fu_reason: "Citizen's reason", "नागरिक का कारण";
    con_fu_record: "Site record", "स्थल का रिकॉर्ड";
    con_fu_dose: "Dose · vaccine · batch", "खुराक · टीका · बैच";
    con_fu_person: "Person", "व्यक्ति";
    con_fu_details: "Details", "विवरण";
    con_fu_decision: "Decision", "निर्णय";
    con_fu_decided_by: "Decided by", "निर्णय किसने लिया";
    con_fu_decided_at: "Decided at", "निर्णय का समय";
    con_fu_note: "Note", "टिप्पणी";
    con_fu_note_help: "Required: why. For a rejection, the citizen is told by SMS and can see this note.", "आवश्यक: क्यों। अस्वीकृति पर नागरिक को SMS से बताया जाता है और वह यह टिप्पणी देख सकता है।";
    con_fu_approve: "Approve and reissue certificate", "स्वीकृत करें और प्रमाणपत्र दोबारा जारी करें";
    con_fu_reject: "Reject", "अस्वीकार करें";
    con_fu_accept: "Accept (record the dose)", "स्वीकार करें (खुराक दर्ज करें)";
    con_fu_discard: "Discard", "रद्द करें";
    con_fu_lists: "Session list", "सत्र सूची";
    con_fu_list_pdf: "Download PDF", "PDF डाउनलोड करें";
    con_fu_list_csv: "Download CSV", "CSV डाउनलोड करें";
    con_fu_draws_title: "Lucky draw", "लकी ड्रॉ";
    con_fu_draws_intro: "A draw among everyone vaccinated in a district and period. Creating it fixes and publishes the list of card numbers and its SHA-256 hash; the winners are chosen later from a public random seed, so anyone can recompute them.", "किसी ज़िले और अवधि में टीका लगवाने वाले सभी लोगों के बीच ड्रॉ। बनाते ही कार्ड नंबरों की सूची और उसका SHA-256 हैश तय और प्रकाशित हो जाते हैं; विजेता बाद में एक सार्वजनिक यादृच्छिक बीज से चुने जाते हैं, ताकि कोई भी उन्हें दोबारा निकाल सके।";
    con_fu_new_draw: "New draw", "नया ड्रॉ";
    con_fu_from: "Vaccinated from", "टीका लगने की शुरुआत";
    con_fu_to: "Vaccinated until", "टीका लगने का अंत";
    con_fu_winners: "Winners", "विजेता";
    con_fu_create_draw: "Fix the entry list", "प्रविष्टि सूची तय करें";
    con_fu_no_draws: "No draws yet.", "अभी कोई ड्रॉ नहीं।";
    con_fu_period: "Period", "अवधि";
    con_fu_entries: "Entries", "प्रविष्टियाँ";
    con_fu_committed: "Waiting for the seed", "बीज की प्रतीक्षा";
    con_fu_drawn: "Drawn", "ड्रॉ हो चुका";
    con_fu_sha256: "SHA-256 of the entry list", "प्रविष्टि सूची का SHA-256";
    con_fu_entries_file: "Entry list (one card number a line)", "प्रविष्टि सूची (हर पंक्ति में एक कार्ड नंबर)";
    con_fu_public_link: "Public record", "सार्वजनिक रिकॉर्ड";
    con_fu_seed: "Public random seed", "सार्वजनिक यादृच्छिक बीज";
    con_fu_seed_help: "Enter it only after it is published (a lottery result, a drand round), exactly as published. It can be entered once.", "इसे प्रकाशित होने के बाद ही, ठीक वैसा ही दर्ज करें (लॉटरी परिणाम, drand राउंड)। यह केवल एक बार दर्ज हो सकता है।";
    con_fu_seed_source: "Where the seed was published", "बीज कहाँ प्रकाशित हुआ";
    con_fu_enter_seed: "Enter the seed and draw", "बीज दर्ज करें और ड्रॉ निकालें";
    con_fu_result: "Winners (card numbers, in the order drawn)", "विजेता (कार्ड नंबर, निकाले गए क्रम में)";
    con_fu_no_winners: "Nobody was vaccinated in this district and period.", "इस ज़िले और अवधि में किसी को टीका नहीं लगा।";
    con_fu_verify: "Check it yourself", "स्वयं जाँचें";
    con_fu_verify_help: "Download the entry list as entries.txt, then run either command: it prints the list's hash and the winners.", "प्रविष्टि सूची entries.txt के रूप में डाउनलोड करें, फिर कोई भी कमांड चलाएँ: यह सूची का हैश और विजेता दिखाती है।";
    con_fu_created: "Created", "बनाया गया";
    // Weekdays
    wd_mon: "Mon", "सोम";
    wd_tue: "Tue", "मंगल";
    wd_wed: "Wed", "बुध";
    wd_thu: "Thu", "गुरु";
    wd_fri: "Fri", "शुक्र";
    wd_sat: "Sat", "शनि";
    wd_sun: "Sun", "रवि";
    // Cold chain
    cc_nav: "Cold chain", "कोल्ड चेन";
    cc_title: "Cold chain", "कोल्ड चेन";
    cc_intro: "Vaccine stores and facility refrigerators of your area: stock on hand from the ledger, days of stock at the last 30 days' use, warnings, and temperature alarms.", "आपके क्षेत्र के टीका भंडार और केंद्रों के रेफ़्रिजरेटर: लेजर से उपलब्ध स्टॉक, पिछले 30 दिनों की खपत पर स्टॉक के दिन, चेतावनियाँ और तापमान अलार्म।";
    cc_area_stock: "Stock in your area", "आपके क्षेत्र में स्टॉक";
    cc_points: "Cold chain points", "कोल्ड चेन पॉइंट";
    cc_no_points: "No cold chain points in your area yet.", "आपके क्षेत्र में अभी कोई कोल्ड चेन पॉइंट नहीं है।";
    cc_truncated: "Only the first 300 points are summed.", "केवल पहले 300 पॉइंट जोड़े गए हैं।";
    cc_new_point: "Add a cold chain point", "कोल्ड चेन पॉइंट जोड़ें";
    cc_add_point: "Add point", "पॉइंट जोड़ें";
    cc_level: "Level", "स्तर";
    cc_level_state_store: "State store", "राज्य भंडार";
    cc_level_regional_store: "Regional store", "क्षेत्रीय भंडार";
    cc_level_district_store: "District store", "ज़िला भंडार";
    cc_level_facility: "Facility (ILR)", "केंद्र (ILR)";
    cc_center_id: "Facility ID (facility points)", "केंद्र आईडी (केंद्र पॉइंट के लिए)";
    cc_center_hint: "The facility's ID as the facility list shows it.", "केंद्र सूची में दिखाई गई केंद्र आईडी।";
    cc_district_id: "District ID (district stores)", "ज़िला आईडी (ज़िला भंडार के लिए)";
    cc_state_id: "State ID (state and regional stores)", "राज्य आईडी (राज्य और क्षेत्रीय भंडार के लिए)";
    cc_stock: "Stock", "स्टॉक";
    cc_no_stock: "No stock.", "कोई स्टॉक नहीं।";
    cc_vials: "vials", "शीशियाँ";
    cc_doses: "doses", "खुराकें";
    cc_used_30d: "Doses used, last 30 days", "पिछले 30 दिनों में उपयोग हुई खुराकें";
    cc_days_of_stock: "Days of stock", "स्टॉक के दिन";
    cc_days_n: "{n} days", "{n} दिन";
    cc_no_usage: "no recent use", "हाल में कोई उपयोग नहीं";
    cc_warnings: "Warnings", "चेतावनियाँ";
    cc_w_stock_out: "Stock-out: {vaccine}", "स्टॉक समाप्त: {vaccine}";
    cc_w_low: "Low: {vaccine}, {days} days left", "कम स्टॉक: {vaccine}, {days} दिन बचे";
    cc_w_expiring: "Expiring soon: {vaccine}, {vials} vials on {date}", "जल्द समाप्ति: {vaccine}, {vials} शीशियाँ {date} को";
    cc_lots: "Lots", "लॉट";
    cc_lot: "Lot", "लॉट";
    cc_batch: "Batch number", "बैच नंबर";
    cc_manufacturer: "Manufacturer", "निर्माता";
    cc_expiry: "Expiry", "समाप्ति तिथि";
    cc_doses_per_vial: "Doses per vial", "प्रति शीशी खुराकें";
    cc_catalogue_default: "Leave blank for the catalogue's value.", "सूची का मान लेने के लिए खाली छोड़ें।";
    cc_expiring_soon: "Expiring soon", "जल्द समाप्त";
    cc_under_review: "Under review (excursion)", "समीक्षा में (तापमान विचलन)";
    cc_receive: "Receive a lot", "लॉट प्राप्त करें";
    cc_record_movement: "Record wastage, expiry or adjustment", "बर्बादी, समाप्ति या समायोजन दर्ज करें";
    cc_movement: "Movement", "गतिविधि";
    cc_wastage_reason: "Wastage reason", "बर्बादी का कारण";
    cc_reason_hint: "Required for wastage.", "बर्बादी के लिए आवश्यक।";
    cc_direction: "Adjustment", "समायोजन";
    cc_direction_up: "More counted than the ledger", "लेजर से अधिक गिनी गईं";
    cc_direction_down: "Fewer counted than the ledger", "लेजर से कम गिनी गईं";
    cc_direction_hint: "Only for adjustments, which also need a note.", "केवल समायोजन के लिए, जिसमें टिप्पणी भी आवश्यक है।";
    cc_note: "Note", "टिप्पणी";
    cc_send: "Issue or transfer to another point", "दूसरे पॉइंट को जारी या स्थानांतरित करें";
    cc_to_point: "To", "किसे";
    cc_ledger: "Ledger (latest 50 movements)", "लेजर (नवीनतम 50 गतिविधियाँ)";
    cc_no_movements: "No movements yet.", "अभी कोई गतिविधि नहीं।";
    cc_counterpart: "Other point", "दूसरा पॉइंट";
    cc_by: "By", "किसके द्वारा";
    cc_mv_receipt: "Receipt", "प्राप्ति";
    cc_mv_issue: "Issue", "जारी";
    cc_mv_transfer_in: "Transfer in", "स्थानांतरण आया";
    cc_mv_transfer_out: "Transfer out", "स्थानांतरण गया";
    cc_mv_wastage: "Wastage", "बर्बादी";
    cc_mv_expiry: "Expiry", "समाप्ति";
    cc_mv_adjustment: "Adjustment", "समायोजन";
    cc_mv_session_use: "Session use", "सत्र में उपयोग";
    cc_wr_opened_vial: "Opened vial discarded", "खुली शीशी फेंकी गई";
    cc_wr_broken: "Broken", "टूटी हुई";
    cc_wr_frozen: "Frozen", "जमी हुई";
    cc_wr_heat: "Heat exposed", "गर्मी के संपर्क में";
    cc_wr_contaminated: "Contaminated or label missing", "दूषित या लेबल गायब";
    cc_wr_other: "Other (say why in the note)", "अन्य (टिप्पणी में कारण लिखें)";
    cc_equipment: "Equipment", "उपकरण";
    cc_no_equipment: "No equipment yet.", "अभी कोई उपकरण नहीं।";
    cc_add_equipment: "Add equipment", "उपकरण जोड़ें";
    cc_label: "Label", "लेबल";
    cc_kind: "Kind", "प्रकार";
    cc_kind_ilr: "Ice-lined refrigerator", "आइस-लाइन्ड रेफ़्रिजरेटर";
    cc_kind_deep_freezer: "Deep freezer", "डीप फ़्रीज़र";
    cc_kind_walk_in_cooler: "Walk-in cooler", "वॉक-इन कूलर";
    cc_kind_walk_in_freezer: "Walk-in freezer", "वॉक-इन फ़्रीज़र";
    cc_kind_refrigerator: "Refrigerator", "रेफ़्रिजरेटर";
    cc_band: "Allowed range", "अनुमत सीमा";
    cc_band_hint: "Blank: the kind's usual range.", "खाली: इस प्रकार की सामान्य सीमा।";
    cc_min_c: "Lowest allowed, °C", "न्यूनतम अनुमत, °C";
    cc_max_c: "Highest allowed, °C", "अधिकतम अनुमत, °C";
    cc_min: "Min", "न्यूनतम";
    cc_max: "Max", "अधिकतम";
    cc_excursion_minutes: "Alarm after minutes out of range", "सीमा से बाहर कितने मिनट बाद अलार्म";
    cc_silence_minutes: "Alarm after minutes without a reading", "रीडिंग न आने पर कितने मिनट बाद अलार्म";
    cc_logger: "Logger", "लॉगर";
    cc_logger_code: "Logger device code", "लॉगर डिवाइस कोड";
    cc_logger_hint: "3 to 40 letters, digits, '-', '_' or '.'; leave blank to unlink.", "3 से 40 अक्षर, अंक, '-', '_' या '.'; हटाने के लिए खाली छोड़ें।";
    cc_no_logger: "No logger", "कोई लॉगर नहीं";
    cc_current: "Latest reading", "नवीनतम रीडिंग";
    cc_no_reading: "No reading this week", "इस सप्ताह कोई रीडिंग नहीं";
    cc_out_of_band: "Out of range", "सीमा से बाहर";
    cc_last_heard: "Last heard", "अंतिम संपर्क";
    cc_chart_title: "Temperature with the allowed range", "अनुमत सीमा के साथ तापमान";
    cc_chart_day: "Temperature, last 24 hours", "तापमान, पिछले 24 घंटे";
    cc_chart_week: "Temperature, last 7 days", "तापमान, पिछले 7 दिन";
    cc_chart_span: "Period", "अवधि";
    cc_span_day: "Day", "दिन";
    cc_span_week: "Week", "सप्ताह";
    cc_chart_empty: "No readings in this period", "इस अवधि में कोई रीडिंग नहीं";
    cc_chart_time_axis: "Time (IST)", "समय (IST)";
    cc_chart_legend: "Shaded band: allowed range. Blue line: readings. Red dots: readings out of range.", "छायांकित पट्टी: अनुमत सीमा। नीली रेखा: रीडिंग। लाल बिंदु: सीमा से बाहर की रीडिंग।";
    cc_readings_n: "{n} readings, {out} out of range", "{n} रीडिंग, {out} सीमा से बाहर";
    cc_alarms_title: "Temperature alarms", "तापमान अलार्म";
    cc_alarms_intro: "Alarms are raised when equipment stays out of range or its logger falls silent; the point's staff and the district officer are told. Acknowledge, act, then close with what was done.", "उपकरण के सीमा से बाहर रहने या लॉगर के चुप होने पर अलार्म बनता है; पॉइंट के कर्मचारियों और ज़िला अधिकारी को सूचित किया जाता है। स्वीकार करें, कार्रवाई करें, फिर की गई कार्रवाई के साथ बंद करें।";
    cc_open_alarms_n: "{n} open", "{n} खुले";
    cc_no_alarms: "No alarms.", "कोई अलार्म नहीं।";
    cc_alarm: "Alarm", "अलार्म";
    cc_alarm_too_warm: "Too warm", "बहुत गर्म";
    cc_alarm_too_cold: "Too cold", "बहुत ठंडा";
    cc_alarm_silent: "Logger silent", "लॉगर चुप";
    cc_status_open: "Open", "खुला";
    cc_status_acknowledged: "Acknowledged", "स्वीकार किया गया";
    cc_status_closed: "Closed", "बंद";
    cc_since: "Since", "कब से";
    cc_worst: "Worst", "सबसे खराब";
    cc_cleared: "Back in range", "सीमा में वापस";
    cc_ongoing: "Still going on", "अभी जारी";
    cc_act_on_alarm: "Act on it", "कार्रवाई करें";
    cc_acknowledge: "Acknowledge", "स्वीकार करें";
    cc_acknowledged_by: "Acknowledged by", "किसने स्वीकार किया";
    cc_closed_by: "Closed by", "किसने बंद किया";
    cc_action: "Action taken", "की गई कार्रवाई";
    cc_act_quarantined: "Vials quarantined", "शीशियाँ अलग रखी गईं";
    cc_act_moved: "Vaccine moved to other equipment", "टीका दूसरे उपकरण में रखा गया";
    cc_act_repaired: "Power back or equipment repaired", "बिजली वापस या उपकरण ठीक किया गया";
    cc_act_logger: "Logger or battery replaced", "लॉगर या बैटरी बदली गई";
    cc_act_no_risk: "Checked: vaccine never at risk", "जाँचा गया: टीके को कोई खतरा नहीं था";
    cc_act_other: "Other (say what in the note)", "अन्य (टिप्पणी में लिखें)";
    cc_note_other_hint: "Required when the action is Other.", "कार्रवाई 'अन्य' होने पर आवश्यक।";
    cc_close_alarm: "Close the alarm", "अलार्म बंद करें";
    cc_exposed_lots: "Lots in stock when the alarm was raised", "अलार्म के समय स्टॉक में लॉट";
    cc_no_exposed: "No lots were exposed.", "कोई लॉट प्रभावित नहीं हुआ।";
    cc_review_of: "Review of lot", "लॉट की समीक्षा";
    cc_review_title: "Lots under review", "समीक्षा में लॉट";
    cc_no_review: "No lots are waiting for review.", "कोई लॉट समीक्षा की प्रतीक्षा में नहीं है।";
    cc_rv_pending: "Pending review", "समीक्षा बाकी";
    cc_rv_usable: "Usable (vial monitors fine)", "उपयोग योग्य (VVM ठीक)";
    cc_rv_quarantined: "Quarantined", "अलग रखा गया";
    cc_rv_discarded: "Discarded", "नष्ट किया गया";
    cc_flash_point: "Cold chain point added.", "कोल्ड चेन पॉइंट जोड़ा गया।";
    cc_flash_equipment: "Equipment added.", "उपकरण जोड़ा गया।";
    cc_flash_received: "Lot received.", "लॉट प्राप्त हुआ।";
    cc_flash_moved: "Movement recorded.", "गतिविधि दर्ज की गई।";
    cc_flash_sent: "Stock sent.", "स्टॉक भेजा गया।";
    cc_flash_logger: "Logger saved.", "लॉगर सहेजा गया।";
    cc_flash_ack: "Alarm acknowledged.", "अलार्म स्वीकार किया गया।";
    cc_flash_closed: "Alarm closed.", "अलार्म बंद किया गया।";
    // Public dashboard (issue 8): pages/dashboard.rs
    db_title: "Vaccination dashboard", "टीकाकरण डैशबोर्ड";
    db_intro: "Doses given across the country, updated every few seconds. Counts under {n} are hidden so that no one can be singled out.", "देश भर में दी गई खुराकें, हर कुछ सेकंड में अपडेट। {n} से कम की गिनती छिपाई जाती है ताकि किसी की पहचान न हो सके।";
    db_nav: "Dashboard", "डैशबोर्ड";
    db_all_india: "All India", "पूरा भारत";
    db_scope: "State", "राज्य";
    db_today: "Doses today", "आज की खुराकें";
    db_total: "Doses to date", "अब तक की खुराकें";
    db_dose1: "First doses", "पहली खुराक";
    db_dose2: "Second doses", "दूसरी खुराक";
    db_precaution: "Precaution doses", "एहतियाती खुराक";
    db_coverage: "{p}% of the eligible", "पात्र लोगों का {p}%";
    db_as_of: "As of {time}", "{time} तक";
    db_live: "Live: refreshes every 10 seconds", "लाइव: हर 10 सेकंड में ताज़ा";
    db_daily: "Doses per day, last 30 days", "प्रतिदिन खुराकें, पिछले 30 दिन";
    db_map_coverage: "First-dose coverage", "पहली खुराक का कवरेज";
    db_map_doses: "Doses to date", "अब तक की खुराकें";
    db_states: "States and union territories", "राज्य और केंद्र शासित प्रदेश";
    db_districts: "Districts", "ज़िले";
    db_area: "Area", "क्षेत्र";
    db_cov1: "Dose 1 coverage", "खुराक 1 कवरेज";
    db_cov2: "Dose 2 coverage", "खुराक 2 कवरेज";
    db_hidden: "fewer than {n}", "{n} से कम";
    db_open_data: "Open data", "खुला डेटा";
    db_open_data_note: "The same figures as files, free to reuse. Hidden counts are empty cells.", "यही आँकड़े फ़ाइलों के रूप में, दोबारा उपयोग के लिए मुफ़्त। छिपी गिनतियाँ खाली हैं।";
    db_csv_areas: "Areas (CSV)", "क्षेत्र (CSV)";
    db_csv_daily: "Doses per day (CSV)", "प्रतिदिन खुराकें (CSV)";
    db_json: "Everything (JSON API)", "सब कुछ (JSON API)";
    // Reports (issue 8): pages/console/reports.rs
    rp_nav: "Reports", "रिपोर्ट";
    rp_title: "Vaccination reports", "टीकाकरण रिपोर्ट";
    rp_intro: "Doses given in your area, by day and cumulative, with coverage against the uploaded targets. A dose shows here a few seconds after its site syncs it.", "आपके क्षेत्र में दी गई खुराकें, दिन के अनुसार और संचयी, अपलोड किए गए लक्ष्यों के मुकाबले कवरेज के साथ। साइट के सिंक करने के कुछ सेकंड बाद खुराक यहाँ दिखती है।";
    rp_all_states: "All states", "सभी राज्य";
    rp_all_districts: "All districts", "सभी ज़िले";
    rp_pick_state: "Choose a state and press Show to list its districts.", "ज़िले देखने के लिए राज्य चुनें और दिखाएँ दबाएँ।";
    rp_block: "Block name", "ब्लॉक का नाम";
    rp_center: "Facility ID", "केंद्र आईडी";
    rp_from: "From", "से";
    rp_until: "Until", "तक";
    rp_priority_group: "Priority group", "प्राथमिकता समूह";
    rp_facility_type: "Facility type", "केंद्र का प्रकार";
    rp_setting: "Urban or rural", "शहरी या ग्रामीण";
    rp_group_by: "Rows by", "पंक्तियाँ";
    rp_show: "Show", "दिखाएँ";
    rp_download: "Download", "डाउनलोड करें";
    rp_csv: "CSV file", "CSV फ़ाइल";
    rp_xlsx: "Excel workbook (XLSX)", "एक्सेल वर्कबुक (XLSX)";
    rp_json: "JSON data", "JSON डेटा";
    rp_name: "Name", "नाम";
    rp_doses: "Doses", "खुराकें";
    rp_cumulative: "Cumulative doses", "कुल खुराकें (संचयी)";
    rp_coverage: "Coverage %", "कवरेज %";
    rp_total: "Total", "कुल";
    rp_no_rows: "No doses match these filters.", "इन फ़िल्टरों से कोई खुराक मेल नहीं खाती।";
    rp_no_coverage: "No coverage: it needs a dose (as a filter or as the rows) and uploaded targets for the areas shown, and no vaccine, gender, priority group, facility type or setting filter.", "कवरेज नहीं: इसके लिए खुराक (फ़िल्टर या पंक्तियों के रूप में) और दिखाए गए क्षेत्रों के अपलोड किए गए लक्ष्य चाहिए, और टीका, लिंग, प्राथमिकता समूह, केंद्र का प्रकार या शहरी/ग्रामीण फ़िल्टर नहीं होना चाहिए।";
    rp_generated: "Generated {time}", "{time} पर बनाई गई";
    rp_chart_daily: "Doses per day", "प्रतिदिन खुराकें";
    rp_chart_doses_by: "Doses by {group}", "{group} के अनुसार खुराकें";
    rp_chart_coverage_by: "Coverage by {group}", "{group} के अनुसार कवरेज";
    rp_map_coverage: "Coverage on the map", "नक्शे पर कवरेज";
    rp_map_doses: "Doses on the map", "नक्शे पर खुराकें";
    rp_unit_doses: "doses", "खुराकें";
    rp_sessions: "Sessions", "सत्र";
    rp_second_title: "Second doses due", "देय दूसरी खुराकें";
    rp_second_intro: "People who had their first dose in this area and not yet their second, by where they stand today. Call back the overdue.", "जिन्हें इस क्षेत्र में पहली खुराक लगी और दूसरी अभी नहीं, आज की स्थिति के अनुसार। जिनकी खुराक छूट गई है उन्हें फ़ोन करें।";
    rp_not_due_yet: "Not due yet", "अभी देय नहीं";
    rp_due: "Due now", "अभी देय";
    rp_overdue: "Overdue: call back", "समय निकल गया: फ़ोन करें";
    rp_no_second: "Nobody is waiting for a second dose.", "कोई दूसरी खुराक की प्रतीक्षा में नहीं है।";
    rp_sessions_title: "Session reports", "सत्र रिपोर्ट";
    rp_sessions_intro: "For each session of a facility: seats planned against booked, arrived, vaccinated, walk-ins and no-shows; doses given against vials used; messages sent against delivered.", "किसी केंद्र के हर सत्र के लिए: नियोजित सीटें बनाम बुक, पहुँचे, टीका लगा, बिना बुकिंग आए और नहीं आए; दी गई खुराकें बनाम उपयोग हुई शीशियाँ; भेजे गए बनाम पहुँचे संदेश।";
    rp_sessions_of: "Sessions of {name}", "{name} के सत्र";
    rp_pick_facility: "Enter a facility ID to see its sessions.", "सत्र देखने के लिए केंद्र आईडी डालें।";
    rp_planned: "Planned", "नियोजित";
    rp_booked: "Booked", "बुक";
    rp_arrived: "Arrived", "पहुँचे";
    rp_vaccinated: "Vaccinated", "टीका लगा";
    rp_walk_ins: "Walk-ins", "बिना बुकिंग आए";
    rp_no_shows: "No-shows", "नहीं आए";
    rp_doses_given: "Doses given", "दी गई खुराकें";
    rp_vials_used: "Vials used", "उपयोग हुई शीशियाँ";
    rp_wasted: "Doses wasted", "बर्बाद खुराकें";
    rp_messages: "Messages sent / delivered", "संदेश भेजे / पहुँचे";
    rp_cancelled: "Cancelled", "रद्द";
    rp_not_closed: "stock not closed", "स्टॉक बंद नहीं हुआ";
    rp_no_sessions: "No sessions on these days.", "इन दिनों में कोई सत्र नहीं।";
    rp_targets_title: "Targets: eligible population", "लक्ष्य: पात्र जनसंख्या";
    rp_targets_intro: "The eligible population of each area, by age group and dose if needed: the denominators of coverage.", "हर क्षेत्र की पात्र जनसंख्या, ज़रूरत हो तो आयु वर्ग और खुराक के अनुसार: कवरेज का आधार।";
    rp_targets_none: "No targets for your area yet.", "आपके क्षेत्र के लिए अभी कोई लक्ष्य नहीं।";
    rp_area: "Area", "क्षेत्र";
    rp_population: "Eligible population", "पात्र जनसंख्या";
    rp_every_age: "Every age", "सभी आयु";
    rp_every_dose: "Every dose", "सभी खुराकें";
    rp_upload: "Upload targets", "लक्ष्य अपलोड करें";
    rp_upload_file: "CSV or XLSX file with the columns state, district, block, age_group, dose, population_eligible", "state, district, block, age_group, dose, population_eligible कॉलम वाली CSV या XLSX फ़ाइल";
    rp_upload_national: "An upload replaces every target, the nation's included.", "अपलोड सभी लक्ष्यों को बदल देता है, देश का लक्ष्य भी।";
    rp_upload_area: "An upload replaces the targets of the areas inside yours; the others stay.", "अपलोड आपके क्षेत्र के अंदर के क्षेत्रों के लक्ष्य बदलता है; बाकी वैसे ही रहते हैं।";
    rp_upload_not_yours: "Targets are uploaded by national, state and district officials.", "लक्ष्य राष्ट्रीय, राज्य और ज़िला अधिकारी अपलोड करते हैं।";
    rp_sample: "Sample file", "नमूना फ़ाइल";
    rp_upload_errors: "Nothing was saved. Correct these rows and upload the whole file again:", "कुछ भी सहेजा नहीं गया। इन पंक्तियों को ठीक करें और पूरी फ़ाइल फिर से अपलोड करें:";
    rp_flash_targets: "{n} targets saved.", "{n} लक्ष्य सहेजे गए।";
    rp_targets_link: "Targets (eligible population)", "लक्ष्य (पात्र जनसंख्या)";
    rp_sessions_link: "Session reports of a facility", "किसी केंद्र की सत्र रिपोर्ट";
}

/// The phrases of a language.
pub(crate) fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Hi => &HI,
    }
}

/// The `<html lang>` code.
pub(crate) fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Hi => "hi",
    }
}

/// Parses `en` / `hi`.
pub(crate) fn parse(s: &str) -> Option<Lang> {
    match s.trim().to_ascii_lowercase().as_str() {
        "en" => Some(Lang::En),
        "hi" => Some(Lang::Hi),
        _ => None,
    }
}

/// Fills `{name}` placeholders.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in args {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Hindi for each message the services can return, by CoWIN error code.  A code carrying
/// details in its English message (dates, limits) keeps that message beside the Hindi one.
const HINDI_ERRORS: &[(&str, &str)] = &[
    ("USRAUT0010", "मोबाइल नंबर आवश्यक है।"),
    ("USRAUT0011", "मोबाइल नंबर सही नहीं है। कृपया 10 अंकों का मोबाइल नंबर डालें।"),
    ("USRAUT0012", "OTP आवश्यक है।"),
    ("USRAUT0013", "यह OTP अनुरोध मान्य नहीं है; कृपया नया OTP मँगाएँ।"),
    ("USRAUT0014", "OTP गलत है।"),
    ("USRAUT0016", "OTP की समय-सीमा समाप्त हो गई है, कृपया नया OTP मँगाएँ।"),
    ("USRAUT0017", "यह OTP पहले ही इस्तेमाल हो चुका है, कृपया नया OTP मँगाएँ।"),
    ("USRAUT0018", "बहुत अधिक गलत प्रयास हुए, कृपया नया OTP मँगाएँ।"),
    ("USRAUT0401", "कृपया फिर से लॉग इन करें।"),
    ("USRRES0001", "आवश्यक जानकारी नहीं भरी गई है।"),
    ("USRRES0404", "यह पेज नहीं मिला।"),
    ("USRRES0429", "बहुत अधिक अनुरोध हुए; कृपया कुछ देर बाद फिर से प्रयास करें।"),
    ("USRRES0500", "कुछ गलत हो गया; कृपया फिर से प्रयास करें।"),
    ("USRRES0503", "सेवा अभी उपलब्ध नहीं है, कृपया थोड़ी देर बाद प्रयास करें।"),
    ("BENREG0001", "इस फ़ोटो पहचान पत्र से एक लाभार्थी पहले से पंजीकृत है।"),
    ("BENREG0002", "इस मोबाइल नंबर पर अधिकतम संख्या में सदस्य पहले से पंजीकृत हैं।"),
    ("BENREG0003", "इस सदस्य का सक्रिय अपॉइंटमेंट या दर्ज खुराक है, इसलिए इसे हटाया नहीं जा सकता।"),
    ("BENREG0010", "कृपया सही नाम लिखें: अधिकतम 100 अक्षर, रिक्त स्थान, बिंदु या डैश।"),
    ("BENREG0011", "कृपया 4 अंकों का सही जन्म वर्ष डालें।"),
    ("BENREG0012", "कृपया लिंग चुनें।"),
    ("BENREG0013", "कृपया फ़ोटो पहचान पत्र का प्रकार चुनें।"),
    ("BENREG0014", "फ़ोटो पहचान पत्र संख्या सही नहीं है।"),
    ("BENREG0015", "सहरुग्णता का मान हाँ या नहीं होना चाहिए।"),
    ("BENREG0020", "इस मोबाइल नंबर पर यह सदस्य नहीं मिला।"),
    ("APPOIN0012", "यह सत्र नहीं मिला।"),
    ("APPOIN0013", "यह अपॉइंटमेंट नहीं मिला।"),
    ("APPOIN0014", "यह सदस्य इस अपॉइंटमेंट में शामिल नहीं है।"),
    ("APPOIN0015", "कृपया सही समय स्लॉट चुनें।"),
    ("APPOIN0016", "खुराक 1 या 2 होनी चाहिए।"),
    (
        "APPOIN0040",
        "इस टीकाकरण केंद्र पर चुनी गई तारीख की सभी सीटें भर चुकी हैं। कृपया कोई और तारीख या केंद्र चुनें।",
    ),
    ("APPOIN0041", "केंद्र ने यह सत्र रद्द कर दिया है।"),
    ("APPOIN0042", "इस सदस्य का इस खुराक के लिए पहले से अपॉइंटमेंट है।"),
    ("APPOIN0043", "इस सत्र की तारीख के लिए बुकिंग बंद हो चुकी है।"),
    ("APPOIN0050", "सदस्य की आयु इस सत्र के आयु वर्ग में नहीं आती।"),
    ("APPOIN0051", "यह खुराक इस सदस्य की अगली खुराक नहीं है।"),
    ("APPOIN0052", "अगली खुराक उसी टीके की होनी चाहिए जो पहले लगाया गया था।"),
    ("APPOIN0053", "यह तारीख इस खुराक के लिए तय अंतराल में नहीं आती।"),
    ("APPOIN0054", "यह टीका सूची में नहीं है।"),
    ("APPOIN0060", "यह अपॉइंटमेंट रद्द या पुनर्निर्धारित नहीं किया जा सकता।"),
    ("APPOIN0061", "पिछली तारीख का अपॉइंटमेंट पुनर्निर्धारित नहीं किया जा सकता।"),
    ("APPOIN0062", "यह अपॉइंटमेंट रद्द हो चुका है।"),
    ("APPOIN0070", "अक्षांश या देशांतर सही नहीं है।"),
    ("VACCIN0001", "यह खुराक पहले ही दर्ज है।"),
    ("PAGE0403", "यह फ़ॉर्म पुराना हो गया है। कृपया पेज दोबारा खोलकर फिर से प्रयास करें।"),
    ("ADM0020", "CSV या XLSX फ़ाइल अपलोड करें (पुरानी .xls फ़ाइलें नहीं पढ़ी जातीं)।"),
    ("ADM0021", "फ़ाइल पढ़ी नहीं जा सकी: UTF-8 CSV या XLSX के रूप में सहेजें।"),
    ("ADM0022", "फ़ाइल में आवश्यक कॉलम नहीं है या कोई कॉलम दो बार है; नमूना फ़ाइल देखें।"),
    ("ADM0023", "फ़ाइल 100 MB से बड़ी है; इसे बाँटें।"),
    ("ADM0024", "फ़ाइल में 10 लाख से अधिक पंक्तियाँ हैं; इसे बाँटें।"),
    ("ADM0025", "फ़ाइल खाली है या उसमें कोई पंक्ति नहीं है।"),
    ("ADM0026", "कोई फ़ाइल नहीं भेजी गई।"),
    ("ADM0040", "फ़ाइल CSV होनी चाहिए जिसकी पहली पंक्ति reference_id,comorbidities,notes हो।"),
    ("ADM0041", "एक अपलोड में अधिकतम 50,000 पंक्तियाँ हो सकती हैं; फ़ाइल को बाँटें।"),
    ("ADM0042", "इसी नाम या तारीख का एक संस्करण अभी जोड़ा गया है; पेज दोबारा खोलकर फिर से प्रयास करें।"),
    ("ADM0043", "अनुरोध का JSON अपेक्षित रूप का नहीं है।"),
    ("ADM0050", "फ़िल्टर सही नहीं है: प्रकार correction, review या all; स्थिति open, closed या all।"),
    ("ADM0052", "इस मामले पर निर्णय पहले ही हो चुका है।"),
    ("ADM0053", "स्वीकृत नहीं किया जा सकता: यह फ़ोटो पहचान पत्र अब किसी दूसरे व्यक्ति के रिकॉर्ड में है।"),
    ("ADM0054", "इस ड्रॉ का बीज पहले ही दर्ज हो चुका है; ड्रॉ केवल एक बार निकलता है।"),
    ("ADM0055", "सूची की तारीख YYYY-MM-DD रूप में होनी चाहिए।"),
    ("STK0001", "यह गतिविधि लेजर के नियम से अस्वीकार हुई (स्टॉक शून्य से नीचे, या लॉट की समाप्ति)।"),
    ("STK0002", "इस टीके और बैच का लॉट दूसरी समाप्ति तिथि या प्रति शीशी खुराकों के साथ पहले से दर्ज है।"),
    ("STK0003", "यह कोल्ड चेन पॉइंट निष्क्रिय है: स्टॉक अंदर या बाहर नहीं जा सकता।"),
    ("CCH0001", "यह लॉगर पहले से किसी दूसरे उपकरण के लिए रिपोर्ट करता है: पहले उसे वहाँ से हटाएँ।"),
    ("CCH0002", "यह अलार्म पहले ही बंद हो चुका है।"),
    ("CCH0003", "अलार्म के समय यह लॉट इस पॉइंट पर स्टॉक में नहीं था।"),
];

/// Codes whose English message carries details the Hindi text leaves out.
const DETAILED: &[&str] =
    &["APPOIN0053", "BENREG0011", "APPOIN0050", "APPOIN0051", "USRRES0001", "STK0001"];

/// A message in the chosen language, with the detail (if any) to show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The message.
    pub(crate) text: String,
    /// The English original, when the translation leaves details out.
    pub(crate) detail: Option<String>,
}

/// Translates an error's message by its code (falls back to the English message).
pub(crate) fn error_message(lang: Lang, code: &str, english: &str) -> Message {
    if lang == Lang::Hi
        && let Some((_, hi)) = HINDI_ERRORS.iter().find(|(c, _)| *c == code)
    {
        let detail = DETAILED.contains(&code).then(|| english.to_owned());
        return Message { text: (*hi).to_owned(), detail };
    }
    Message { text: english.to_owned(), detail: None }
}

/// [`error_message`] for an [`ApiError`].
pub(crate) fn api_error_message(lang: Lang, e: &ApiError) -> Message {
    error_message(lang, e.code(), &e.message())
}

/// The heading of an error page or box, by HTTP status.
pub(crate) fn error_title(t: &Texts, status: u16) -> &'static str {
    match status {
        401 => t.err_401,
        403 => t.err_403,
        404 => t.err_404,
        409 => t.err_409,
        429 => t.err_429,
        400..=499 => t.err_400,
        _ => t.err_5xx,
    }
}

/// A short weekday name.
pub(crate) fn weekday(t: &Texts, d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match d {
        Mon => t.wd_mon,
        Tue => t.wd_tue,
        Wed => t.wd_wed,
        Thu => t.wd_thu,
        Fri => t.wd_fri,
        Sat => t.wd_sat,
        Sun => t.wd_sun,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        out.sort();
        out
    }

    fn is_devanagari(s: &str) -> bool {
        s.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
    }

    /// Entries whose Hindi is legitimately not in Devanagari.
    const LATIN_IN_HINDI: &[&str] = &["other_language", "other_language_code"];

    #[test]
    fn every_key_has_both_languages_with_the_same_placeholders() {
        assert!(ENTRIES.len() > 100, "the dictionary looks truncated");
        let mut keys = std::collections::HashSet::new();
        for (key, en, hi) in ENTRIES {
            assert!(keys.insert(*key), "duplicate key {key}");
            assert!(!en.trim().is_empty(), "{key}: English is empty");
            assert!(!hi.trim().is_empty(), "{key}: Hindi is empty");
            assert_eq!(placeholders(en), placeholders(hi), "{key}: placeholders differ");
            if !LATIN_IN_HINDI.contains(key) {
                assert!(is_devanagari(hi), "{key}: Hindi text is not in Devanagari: {hi}");
                assert!(!is_devanagari(en), "{key}: English text has Devanagari: {en}");
                assert_ne!(en, hi, "{key}: not translated");
            }
        }
    }

    #[test]
    fn hindi_uses_the_expected_words() {
        assert_eq!(HI.home_title, "टीकाकरण केंद्र खोजें");
        assert_eq!(HI.pincode, "पिनकोड");
        assert_eq!(HI.district, "ज़िला");
        assert_eq!(HI.nav_login, "लॉग इन करें");
        assert_eq!(HI.add_member, "सदस्य जोड़ें");
        assert_eq!(HI.book_appointment, "अपॉइंटमेंट बुक करें");
        assert_eq!(HI.cancel, "रद्द करें");
        assert_eq!(HI.reschedule, "पुनर्निर्धारित करें");
        assert_eq!(texts(Lang::Hi).other_language, "English");
        assert_eq!(code(Lang::Hi), "hi");
        assert_eq!(parse(" HI"), Some(Lang::Hi));
        assert_eq!(parse("fr"), None);
    }

    #[test]
    fn every_service_error_code_has_hindi() {
        // Every code `ApiError` and the services produce (see error.rs and services/*.rs).
        let codes = [
            "USRAUT0010",
            "USRAUT0011",
            "USRAUT0012",
            "USRAUT0013",
            "USRAUT0014",
            "USRAUT0016",
            "USRAUT0017",
            "USRAUT0018",
            "USRAUT0401",
            "USRRES0001",
            "USRRES0404",
            "USRRES0429",
            "USRRES0500",
            "USRRES0503",
            "BENREG0001",
            "BENREG0002",
            "BENREG0003",
            "BENREG0010",
            "BENREG0011",
            "BENREG0012",
            "BENREG0013",
            "BENREG0014",
            "BENREG0015",
            "BENREG0020",
            "APPOIN0012",
            "APPOIN0013",
            "APPOIN0014",
            "APPOIN0015",
            "APPOIN0016",
            "APPOIN0040",
            "APPOIN0041",
            "APPOIN0042",
            "APPOIN0043",
            "APPOIN0050",
            "APPOIN0051",
            "APPOIN0052",
            "APPOIN0053",
            "APPOIN0054",
            "APPOIN0060",
            "APPOIN0061",
            "APPOIN0062",
            "APPOIN0070",
            "VACCIN0001",
            "PAGE0403",
            "ADM0020",
            "ADM0021",
            "ADM0022",
            "ADM0023",
            "ADM0024",
            "ADM0025",
            "ADM0026",
            "ADM0050",
            "ADM0052",
            "ADM0053",
            "ADM0054",
            "ADM0055",
            "ADM0040",
            "ADM0041",
            "ADM0042",
            "ADM0043",
        ];
        for code in codes {
            let m = error_message(Lang::Hi, code, "english");
            assert!(is_devanagari(&m.text), "{code} has no Hindi message");
            assert_eq!(error_message(Lang::En, code, "english").text, "english");
        }
        let m =
            error_message(Lang::Hi, "APPOIN0053", "Dose 2 can be taken from 01-07-2026 onwards");
        assert_eq!(m.detail.as_deref(), Some("Dose 2 can be taken from 01-07-2026 onwards"));
        assert_eq!(error_message(Lang::Hi, "NOPE0000", "fallback").text, "fallback");
        let e = ApiError::conflict("BENREG0001", "dup");
        assert_eq!(api_error_message(Lang::En, &e).text, "dup");
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(fill(HI.otp_sent, &[("mobile", "******3210")]), "OTP ******3210 पर भेजा गया");
        assert!(fill(EN.remaining, &[("n", "3"), ("max", "4")]).contains("3 more"));
    }
}
