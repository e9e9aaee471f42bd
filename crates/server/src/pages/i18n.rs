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
    // Weekdays
    wd_mon: "Mon", "सोम";
    wd_tue: "Tue", "मंगल";
    wd_wed: "Wed", "बुध";
    wd_thu: "Thu", "गुरु";
    wd_fri: "Fri", "शुक्र";
    wd_sat: "Sat", "शनि";
    wd_sun: "Sun", "रवि";
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
];

/// Codes whose English message carries details the Hindi text leaves out.
const DETAILED: &[&str] = &["APPOIN0053", "BENREG0011", "APPOIN0050", "APPOIN0051", "USRRES0001"];

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
